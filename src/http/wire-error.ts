// The shape every dialect's own errors share: an HTTP status, a message and extra headers. Each dialect
// subclasses it (TogglError, BookingBugError) and renders it in its own wire format.
export class WireError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
