// Route options of a gateway endpoint left out of the OpenAPI document, with the reason the route
// inventory test reads (src/http/openapi.ts).
export function undocumented(reason: string): { schema: { hide: true }; config: { openapiOptOut: string } } {
  return { schema: { hide: true }, config: { openapiOptOut: reason } };
}
