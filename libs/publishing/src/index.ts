export { EventPublisher, eventKey, type PublishOrder } from './event-publisher';
