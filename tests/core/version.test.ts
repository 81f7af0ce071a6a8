import { VERSION } from "../../lib/version.ts";
import { libraryInfo } from "../../lib/core/library_info.ts";
import { assertEquals } from "../_assert.ts";

Deno.test("the module, deno.json and the shim agree on the version", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assertEquals(denoJson.version, VERSION);
  assertEquals(libraryInfo().version, VERSION);
});
