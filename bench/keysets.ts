/**
 * The keys a run sends, written one per line to a file that the load
 * generator picks from at random for each request (bench/wrk.lua, or
 * autocannon's setupRequest): issued keys uniformly, issued keys with Zipf
 * popularity (a pre-drawn sample, so a uniform pick from it is Zipf), and
 * forged keys (well-formed, valid CRC-32, a random prefix: never issued).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { checksum, formatKey } from "../src/keys/format.ts";
import { BASE62, LOWER_ALNUM, randomString } from "../src/keys/random.ts";

/** A well-formed key with a valid checksum whose prefix is not the MAC of its secret. */
export const forgedKey = () => formatKey(randomString(LOWER_ALNUM, 8), randomString(BASE62, 18));

/** A key-shaped string whose checksum is wrong. */
export const junkKey = () => `${forgedKey().slice(0, 30)}${checksum("not this one")}`;

/**
 * `samples` draws from `keys` where the key of rank r (1-based, in the
 * order given) has probability ∝ 1 / r^s.
 */
export function zipfSample(keys: string[], s: number, samples: number): string[] {
  const cdf: number[] = [];
  let total = 0;
  for (let r = 1; r <= keys.length; r++) {
    total += 1 / r ** s;
    cdf.push(total);
  }
  const out: string[] = [];
  for (let i = 0; i < samples; i++) {
    const u = Math.random() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    out.push(keys[lo] as string);
  }
  return out;
}

/** Writes keys one per line to bench/.out/keys-{name}.txt; returns the absolute path. */
export function writeKeyFile(name: string, keys: string[]): string {
  mkdirSync("bench/.out", { recursive: true });
  const path = resolve(`bench/.out/keys-${name}.txt`);
  writeFileSync(path, `${keys.join("\n")}\n`);
  return path;
}

/** Share of the draws that go to the `top` most popular keys (to describe a Zipf sample). */
export function topShare(sample: string[], top: number): number {
  const counts = new Map<string, number>();
  for (const key of sample) counts.set(key, (counts.get(key) ?? 0) + 1);
  const sorted = [...counts.values()].sort((a, b) => b - a);
  return sorted.slice(0, top).reduce((n, c) => n + c, 0) / sample.length;
}
