import { ForbiddenError } from '../errors.js';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: an API key with its scopes, possibly limited to some models. */
export interface Principal {
  keyId: string | null;
  name: string;
  scopes: ReadonlySet<Scope>;
  /** null: every model. */
  models: ReadonlySet<string> | null;
}

/** `admin` includes every other scope. */
export const hasScope = (principal: Principal, scope: Scope) => principal.scopes.has('admin') || principal.scopes.has(scope);

export const canAccessModel = (principal: Principal, model: string) => principal.models === null || principal.models.has(model);

export function assertModelAccess(principal: Principal, model: string): void {
  if (!canAccessModel(principal, model)) {
    throw new ForbiddenError(`this API key is limited to the models ${[...principal.models!].join(', ')}; it cannot use "${model}"`);
  }
}
