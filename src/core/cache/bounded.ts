/** Adds to a cache of at most `max` entries, dropping the oldest one first (not LRU: simple and enough here). */
export function keepBounded<K, V>(cache: Map<K, V>, max: number, key: K, value: V): void {
  if (cache.size >= max && !cache.has(key)) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}
