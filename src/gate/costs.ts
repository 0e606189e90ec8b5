/**
 * What a request costs against the account's quota (CONTRACT §1): ROUTE_COSTS
 * maps `"METHOD /v1/resource"`, `"* /v1/resource"` or `"*"` to a number of
 * units, the most specific match winning; a route nothing matches costs 1
 * (as the default `{"*": 1}` says). Sending email can cost while listing
 * domains is free: `{"POST /v1/messages": 1, "* /v1/domains": 0}`. Routes
 * are matched as origins route them (routes.ts): the configured keys are
 * normalised at load (config.ts), the resource comes as routes match it
 * (url.ts `Target`), and HEAD costs what GET does.
 */
import { routeMethod } from "../routes";

export type RouteCosts = ReadonlyMap<string, number>;

/** The units a `method` request to `/v1/{resource}...` costs (`resource` as routes.ts `routeResource` gives it). */
export function costOf(costs: RouteCosts, method: string, resource: string): number {
  return costs.get(`${routeMethod(method)} /v1/${resource}`) ?? costs.get(`* /v1/${resource}`) ?? costs.get("*") ?? 1;
}
