import { defineRoutines } from "./routines.js";
defineRoutines({});
