// The builder tests use the project's one assertion module.
export { assert, assertEquals, assertRejects } from "../_assert.ts";
