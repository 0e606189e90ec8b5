// The platform's floor: a Worker that only fetches the origin and returns its
// response, with nothing else on the path.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM_URL + url.pathname + url.search, request);
  },
};
