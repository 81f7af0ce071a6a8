/**
 * denotrt's command line, trtexec's flags over denotrt: build or load an engine and time it.
 *
 * ```sh
 * deno run -A jsr:@denotrt/trt/cli --onnx=resnet50.onnx --shapes=x:8x3x224x224 --fp16 --useCudaGraph
 * deno task cli --loadEngine=resnet50.plan --noDataTransfers --json
 * ```
 * @module
 */
import { main } from "./cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
