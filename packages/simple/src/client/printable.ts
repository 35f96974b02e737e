/**
 * A server URL as it may be printed (errors, events, debug output): the password, from `user:`
 * to the last `@`, as `***`. Every place that shows a URL the user gave goes through this.
 */
export const printableUrl = (url: string): string => url.replace(/^([^:]*:\/\/[^:@/]*:).*@/s, '$1***@')
