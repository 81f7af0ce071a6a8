import { assertEquals } from "../_assert.ts";
import { hasFixture, NO_FIXTURES } from "../_fixtures.ts";
import { runPass } from "../_pass_harness.ts";
import { eliminateIdentity } from "../../../lib/builder/passes/eliminate_identity.ts";

Deno.test({
  name: "eliminate_identity: Identity, Dropout, no-op Reshape and Cast disappear; output name kept",
  ignore: NO_FIXTURES || !hasFixture("identities"),
  fn: async () => {
    const r = await runPass("identities", eliminateIdentity);
    assertEquals(r.before, { Identity: 2, Dropout: 1, Reshape: 1, Cast: 1, Relu: 1 });
    assertEquals(r.after, { Relu: 1 });
    assertEquals(r.graph.outputs, ["y"]);
    assertEquals(r.graph.nodes[0].outputs, ["y"]);
    assertEquals(r.graph.nodes[0].inputs, ["x"]);
  },
});
