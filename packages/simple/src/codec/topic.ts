/**
 * Topic names and topic filters [MQTT-4.7]: what makes one valid, and which topics a filter matches.
 * Each check returns the problem as a sentence ending in the rule it breaks, or `undefined`.
 */

import { utf8 } from './bytes.js'

const WILDCARD = /[+#]/

function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'U+0000 is not allowed in topics [MQTT-4.7.3-2]'
  if (!text.isWellFormed()) return 'a lone surrogate cannot be encoded as UTF-8 [MQTT-1.5.3-1]'
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need encoding to be measured.
  if (text.length > 21_845 && utf8(text).length > 65_535) return 'longer than 65,535 UTF-8 bytes [MQTT-4.7.3-3]'
  return undefined
}

/**
 * The rules only topic names have: not empty, no wildcards. The decoder needs just these: a
 * string it read is already well-formed UTF-8 of at most 65,535 bytes without U+0000.
 */
export function topicNameShapeProblem(topic: string): string | undefined {
  if (topic === '') return 'topic names must not be empty [MQTT-4.7.3-1]'
  if (WILDCARD.test(topic)) return 'wildcards are not allowed in topic names [MQTT-3.3.2-2]'
  return undefined
}

/** Why `topic` cannot be a topic name (what PUBLISH carries), or `undefined` if it can. */
export function topicNameProblem(topic: string): string | undefined {
  return topicNameShapeProblem(topic) ?? textProblem(topic)
}

/** Why `filter` cannot be a topic filter (what SUBSCRIBE carries), or `undefined` if it can. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === '') return 'topic filters must not be empty [MQTT-4.7.3-1]'
  let levels = filter.split('/')
  if (levels[0] === '$share') {
    // A shared subscription: $share/{group}/{filter}, the group a plain non-empty level.
    const group = levels[1]
    if (levels.length < 3 || !group || WILDCARD.test(group) || !levels.slice(2).join('/')) {
      return 'a shared subscription is $share/{group}/{filter}, with a group name free of wildcards'
    }
    levels = levels.slice(2)
  }
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '"#" must be the last level of a filter and stand alone in it [MQTT-4.7.1-2]'
    }
    if (level.includes('+') && level !== '+') return '"+" must stand alone in its level [MQTT-4.7.1-3]'
  }
  return textProblem(filter)
}

/**
 * Whether a message published to `topic` matches the subscription `filter`: `+` matches one
 * level, `#` the rest (the parent level too), and a filter starting with a wildcard does not
 * match topics starting with `$` [MQTT-4.7.2-1]. A `$share/{group}/` prefix is ignored.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let f = filter.split('/')
  if (f[0] === '$share') f = f.slice(2)
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (const [i, level] of f.entries()) {
    if (level === '#') return true
    if (i >= t.length || (level !== '+' && level !== t[i])) return false
  }
  return f.length === t.length
}
