export { Errno, type ErrorCode, type ErrorNumber } from './codes.js'
export { MqttError, isMqttError, type MqttErrorDetails } from './mqtt-error.js'
export { describe, isRetryable, isInputError, codeOf } from './meanings.js'
export { STIMEOUT, SDELIVERED, SUNKNOWNPID, SREFUSED, SLOST, type DeliveryStatus } from './status.js'
