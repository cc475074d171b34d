/**
 * Compiled execution for Apollo Server 5 through its gateway interface (Apollo has no executor option; a
 * gateway's load() returns a schema and an executor). Apollo still parses, validates (with every validation
 * rule and limit), runs plugins and formats errors; only execution is replaced by graphql-jit, which compiles
 * each operation once into straight-line JavaScript. Compiled operations are kept in a bounded LRU.
 */
import type {
  GatewayExecutor,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  execute,
  valueFromASTUntyped,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

export interface JitGatewayOptions {
  /** Compiled operations kept (default 500). */
  maxCompiled?: number;
}

type Compiled = CompiledQuery | { fallback: true };

export class JitGateway implements GatewayInterface {
  private readonly listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private readonly compiled: LRUCache<string, Compiled>;
  /** Operations compiled so far (for tests and metrics). */
  compiledCount = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    opts: JitGatewayOptions = {},
  ) {
    this.compiled = new LRUCache({ max: opts.maxCompiled ?? 500 });
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
    this.listeners.add(callback);
    return () => {
      this.listeners.delete(callback);
    };
  }

  async load() {
    for (const cb of this.listeners) cb({ apiSchema: this.schema, coreSupergraphSdl: '' });
    const executor: GatewayExecutor = async (rc) => {
      // An operationName the document does not define (Apollo leaves it to execution): the client's error.
      if (!rc.operation) {
        const name = rc.operationName ?? rc.request.operationName;
        const message = name
          ? `Unknown operation named "${String(name).slice(0, 100)}".`
          : 'Must provide an operation.';
        return {
          errors: [
            new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } }),
          ],
        };
      }
      const key = `${rc.queryHash}:${rc.operationName ?? ''}`;
      let c = this.compiled.get(key);
      if (!c) {
        const out = compileQuery(this.schema, rc.document as DocumentNode, rc.operationName ?? undefined, {
          disableLeafSerialization: false,
        });
        if (isCompiledQuery(out)) {
          c = out;
          this.compiledCount++;
        } else {
          // Not compilable (graphql-jit refuses a few constructs): execute with graphql-js instead.
          c = { fallback: true };
        }
        this.compiled.set(key, c);
      }
      if ('fallback' in c) {
        return (await execute({
          schema: this.schema,
          document: rc.document as DocumentNode,
          contextValue: rc.context,
          variableValues: rc.request.variables,
          operationName: rc.operationName ?? undefined,
        })) as ExecutionResult<Record<string, any>, Record<string, any>>;
      }
      // graphql-jit does not apply a variable's default when the variable is omitted: supply the default in its
      // external (JSON) form so the compiled coercion reads it like any client value. Invalid variables were already
      // refused with graphql-js's messages before execution (the limits plugin coerces them).
      const variables: Record<string, unknown> = { ...(rc.request.variables ?? {}) };
      for (const def of rc.operation.variableDefinitions ?? []) {
        const name = def.variable.name.value;
        if (def.defaultValue && variables[name] === undefined) variables[name] = valueFromASTUntyped(def.defaultValue);
      }
      return (await c.query(undefined, rc.context, variables)) as ExecutionResult<
        Record<string, any>,
        Record<string, any>
      >;
    };
    return { executor };
  }

  async stop() {
    this.compiled.clear();
  }
}
