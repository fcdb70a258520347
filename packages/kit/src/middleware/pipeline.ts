import type { Logger } from '../logging.ts';
import { failureResponse } from './failure-response.ts';

/**
 * One step of a request pipeline: it may answer by itself, or call `next()` and work on the
 * response the rest of the pipeline gave. `next()` always resolves to a Response — anything thrown
 * further in has already become its error envelope — so a step that adds headers or counts
 * failures sees every answer, the failed ones included (hono's compose works the same way).
 */
export type Middleware<Context> = (context: Context, next: () => Promise<Response>) => Promise<Response>;

/** What the failure envelope needs from a context: where to log the error, and the id to quote. */
export interface FailureContext {
  readonly log: Logger;
  readonly requestId: string;
}

/** Runs `middlewares` in order around `handler`; a throw at any depth is answered by `failureResponse`. */
export function compose<Context extends FailureContext>(
  middlewares: readonly Middleware<Context>[],
  handler: (context: Context) => Promise<Response>,
): (context: Context) => Promise<Response> {
  return (context) => {
    const answer = async (step: () => Promise<Response>): Promise<Response> => {
      try {
        return await step();
      } catch (error) {
        return failureResponse(error, context.log, context.requestId);
      }
    };
    const run = (index: number): Promise<Response> => {
      const middleware = middlewares[index];
      if (!middleware) return answer(() => handler(context));
      return answer(() => middleware(context, () => run(index + 1)));
    };
    return run(0);
  };
}
