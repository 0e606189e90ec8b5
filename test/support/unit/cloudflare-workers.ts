/**
 * A stand-in for `cloudflare:workers` in the unit project (Node): the
 * project aliases the module to this file (vitest.config.ts), so a pure
 * module that imports a type, a base class or `env` from it still loads.
 * Nothing here behaves like workerd: code that needs real bindings is tested
 * in the workers project.
 */

/** No bindings: a unit test passes what it needs as arguments. */
export const env = {} as Env;

export class DurableObject<E = Env> {
  constructor(
    protected readonly ctx: DurableObjectState,
    protected readonly env: E,
  ) {}
}

export class WorkerEntrypoint<E = Env> {
  constructor(
    protected readonly ctx: ExecutionContext,
    protected readonly env: E,
  ) {}
}

export class RpcTarget {}
