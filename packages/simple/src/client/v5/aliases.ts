/**
 * Topic aliases for what the client publishes (MQTT 5.0 §3.3.2.3.4), up to the broker's Topic
 * Alias Maximum, for one network connection [MQTT-3.3.2-7]. A topic published once costs
 * nothing; its second PUBLISH carries the name and a new alias, later ones the alias alone. When
 * every alias is taken, the least recently used one is given to the new topic. Aliases the caller
 * sets itself (`properties.topicAlias`) are its own: their numbers and topics are left alone.
 */
export class OutboundAliases {
  readonly #max: number
  /** Topic → alias, least recently used first (a Map keeps insertion order; a use moves it last). */
  readonly #byTopic = new Map<string, number>()
  /** Topics published once without an alias, oldest first; bounded, so many topics cost bounded memory. */
  readonly #seen = new Set<string>()
  /** Alias numbers the caller set itself, and their topics. */
  readonly #own = new Map<number, string>()
  #next = 1

  constructor(max: number) {
    this.#max = max
  }

  /** The alias for `topic`: `undefined` (send the name alone), or the alias and whether the broker knows it already. */
  for(topic: string): { alias: number; known: boolean } | undefined {
    const alias = this.#byTopic.get(topic)
    if (alias !== undefined) {
      this.#byTopic.delete(topic)
      this.#byTopic.set(topic, alias)
      return { alias, known: true }
    }
    for (const own of this.#own.values()) if (own === topic) return undefined
    if (!this.#seen.delete(topic)) {
      this.#seen.add(topic)
      if (this.#seen.size > 4 * this.#max + 16) this.#seen.delete(this.#seen.values().next().value as string)
      return undefined
    }
    const fresh = this.#free()
    if (fresh === undefined) return undefined
    this.#byTopic.set(topic, fresh)
    return { alias: fresh, known: false }
  }

  /** The caller set `alias` for `topic` itself: the broker now maps it so, and it is no longer ours to give. */
  claim(alias: number, topic: string): void {
    for (const [t, a] of this.#byTopic) if (a === alias || t === topic) this.#byTopic.delete(t)
    this.#own.set(alias, topic)
  }

  /** An unused alias number, or the least recently used one taken back. */
  #free(): number | undefined {
    while (this.#next <= this.#max) {
      const alias = this.#next++
      if (!this.#own.has(alias)) return alias
    }
    for (const [topic, alias] of this.#byTopic) {
      this.#byTopic.delete(topic)
      return alias
    }
    return undefined
  }
}
