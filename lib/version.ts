/** denotrt's version; kept equal to deno.json's "version" and DENOTRT_VERSION_STRING (a test checks both). */
export const VERSION = "0.1.0";
