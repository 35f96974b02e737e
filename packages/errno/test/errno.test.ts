import { readFileSync } from 'node:fs'
import { describe as group, expect, test } from 'vitest'
import {
  Errno,
  MqttError,
  SDELIVERED,
  SLOST,
  SREFUSED,
  STIMEOUT,
  SUNKNOWNPID,
  codeOf,
  describe,
  isInputError,
  isMqttError,
  isRetryable,
  type ErrorCode,
} from '@x/errno'

group('the numbers', () => {
  test("umqtt.simple2's numbers keep their meanings", () => {
    expect(Errno).toMatchObject({
      EUNKNOWN: -1,
      ECONCLOSE: 1,
      EREADLEN: 2,
      EWRITELEN: 3,
      ESTRTOLONG: 4,
      ERESPONSE: 6,
      EKEEPALIVE: 7,
      ENOCON: 8,
      ECONUNKNOWN: 20,
      ECONPROTOCOL: 21,
      ECONREJECT: 22,
      ECONUNAVAILABLE: 23,
      ECONCREDENTIALS: 24,
      ECONAUTH: 25,
      ECONNOT: 28,
      ECONLENGTH: 29,
      ECONTIMEOUT: 30,
      ESUBACKUNKNOWN: 40,
      ESUBACKFAIL: 44,
    })
  })

  test('every number is used once', () => {
    const numbers = Object.values(Errno)
    expect(new Set(numbers).size).toBe(numbers.length)
  })

  test('every code has a meaning and a symbol found again by its number', () => {
    for (const [code, errno] of Object.entries(Errno)) {
      expect(codeOf(errno)).toBe(code)
      expect(describe(errno)).toBe(describe(code as ErrorCode))
      expect(describe(errno)).toMatch(/^[A-Z].{8,}[^.]$/)
    }
    expect(describe(12345)).toBe('Unknown error number 12345')
    expect(codeOf(12345)).toBeUndefined()
  })

  test('CONNACK refusals are 20 + the return code', () => {
    for (const rc of [1, 2, 3, 4, 5]) expect(describe(20 + rc)).toContain(`CONNACK ${rc}`)
  })

  test('the delivery status values', () => {
    expect([STIMEOUT, SDELIVERED, SUNKNOWNPID, SREFUSED, SLOST]).toEqual([0, 1, 2, 3, 4])
  })
})

group('isRetryable', () => {
  test('network failures and timeouts can be retried; refusals and bad input cannot', () => {
    for (const code of ['ECONCLOSE', 'EKEEPALIVE', 'ECONTIMEOUT', 'ECONUNAVAILABLE', 'ECONNREFUSED', 'EDNS', 'EMALFORMED'] as const) {
      expect(isRetryable(new MqttError(code, 'x')), code).toBe(true)
    }
    for (const code of ['ECONPROTOCOL', 'ECONREJECT', 'ECONCREDENTIALS', 'ECONAUTH', 'ETOPIC', 'EQOS', 'ECERT', 'ECLOSED'] as const) {
      expect(isRetryable(new MqttError(code, 'x')), code).toBe(false)
    }
  })

  test('takes numbers too, and says no to anything that is not an MqttError', () => {
    expect(isRetryable(Errno.ECONCLOSE)).toBe(true)
    expect(isRetryable(Errno.ECONCREDENTIALS)).toBe(false)
    expect(isRetryable(new Error('ECONNRESET'))).toBe(false)
    expect(isRetryable(undefined)).toBe(false)
    expect(isRetryable(999)).toBe(false)
  })
})

group('isInputError', () => {
  test('refused arguments and options are input errors; what the network or broker did is not', () => {
    for (const code of ['ETOPIC', 'EFILTER', 'EQOS', 'ECLIENTID', 'EPAYLOAD', 'ETOOLARGE', 'ESTRTOLONG', 'EOPTION'] as const) {
      expect(isInputError(new MqttError(code, 'x')), code).toBe(true)
      expect(isRetryable(new MqttError(code, 'x')), `${code} is never retryable`).toBe(false)
    }
    for (const code of ['ECONCLOSE', 'ECONCREDENTIALS', 'ECLOSED', 'EQUEUEFULL', 'EACKTIMEOUT', 'EMALFORMED'] as const) {
      expect(isInputError(new MqttError(code, 'x')), code).toBe(false)
    }
    expect(isInputError(Errno.ETOPIC)).toBe(true)
    expect(isInputError(new Error('ETOPIC'))).toBe(false)
  })
})

group('MqttError', () => {
  test('carries name, errno, code, message, cause and context', () => {
    const cause = new Error('socket hang up')
    const e = new MqttError('ECONCREDENTIALS', 'Connection refused', { cause, returnCode: 4, operation: 'connect' })
    expect(e).toBeInstanceOf(Error)
    expect(e).toMatchObject({ name: 'MqttError', errno: 24, code: 'ECONCREDENTIALS', message: 'Connection refused', returnCode: 4 })
    expect(e.cause).toBe(cause)
    expect(e.operation).toBe('connect')
    expect(String(e)).toBe('MqttError: Connection refused')
  })

  test('shows no empty context fields', () => {
    const e = new MqttError('ECONNOT', 'Not connected')
    expect(Object.keys(e)).not.toContain('pid')
    expect('cause' in e).toBe(false)
  })

  test('isMqttError and instanceof hold across two copies of the package', async () => {
    // A query string makes the module loader treat the file as another module: a second copy.
    const copy = '../src/mqtt-error.js?copy'
    const other = (await import(/* @vite-ignore */ copy)) as typeof import('../src/mqtt-error.js')
    expect(other.MqttError).not.toBe(MqttError)
    const foreign = new other.MqttError('ECONCLOSE', 'from the other copy')
    expect(isMqttError(foreign)).toBe(true)
    expect(foreign instanceof MqttError).toBe(true)
    expect(other.isMqttError(new MqttError('ECONCLOSE', 'x'))).toBe(true)
    expect(isRetryable(foreign)).toBe(true)
    expect(isMqttError(new Error('plain'))).toBe(false)
    expect(isMqttError(null)).toBe(false)
    expect(isMqttError({ errno: 1, code: 'ECONCLOSE' })).toBe(false)
  })
})

test('the README table lists every code with its number, retry and input columns and meaning', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const rows = [...readme.matchAll(/^\| (-?\d+) \| `(\w+)` \| (yes|no) \| (yes|no) \| (.+) \|$/gm)]
  expect(rows.map((r) => [Number(r[1]), r[2], r[3] === 'yes', r[4] === 'yes', r[5]])).toEqual(
    Object.entries(Errno).map(([code, errno]) => [errno, code, isRetryable(errno), isInputError(errno), describe(errno)]),
  )
})
