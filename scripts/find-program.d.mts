/** The path of an executable found on PATH or in the usual sbin folders, or undefined. */
export function findProgram(name: string): string | undefined
