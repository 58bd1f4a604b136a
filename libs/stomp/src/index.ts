export {
  CLIENT_COMMANDS,
  SERVER_COMMANDS,
  StompProtocolError,
  escapesHeaders,
  type ClientCommand,
  type ServerCommand,
  type StompCommand,
  type StompFrame,
} from './stomp-frame';
export { escapeHeader, unescapeHeader } from './header-escaping';
export { encodeFrame, HEARTBEAT } from './frame-encoder';
export { FrameParser, type FrameParserOptions, type ParsedItem } from './frame-parser';
export { negotiateVersion, negotiateHeartBeats, type HeartBeats, type StompVersion } from './negotiation';
