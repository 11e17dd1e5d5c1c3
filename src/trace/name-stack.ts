/**
 * The name stack (JAX's `named_scope`/`named_call` names): a path of names,
 * joined with "/", that every equation staged while it is set records as its
 * `nameStack`. It changes no value; `jaxpr.prettyPrint({ nameStack: true })` shows it.
 */
const stack: string[] = [];

/** The current name stack, "" when no scope is open. */
export function currentNameStack(): string {
  return stack.join("/");
}

/** Runs `fn` with `name` pushed on the name stack (popped however `fn` ends). */
export function withName<T>(name: string, fn: () => T): T {
  stack.push(name);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}
