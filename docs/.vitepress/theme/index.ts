/**
 * The site's theme: VitePress's default theme, plus the live example's
 * component (`<LiveFit />`, usable in any page) and a few styles.
 */
import type { Theme } from "vitepress";
import DefaultTheme from "vitepress/theme";
import LiveFit from "./LiveFit.vue";
import "./style.css";

const theme: Theme = {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component("LiveFit", LiveFit);
  },
};

export default theme;
