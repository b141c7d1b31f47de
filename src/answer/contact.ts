/** How a researcher reaches ENSO's people without the assistant. */
export interface Contact {
  readonly email: string;
  readonly requestFormUrl: string;
}
