export { ChatTraffic } from './chat-traffic';
