export { EventPublisher, eventKey } from './event-publisher';
