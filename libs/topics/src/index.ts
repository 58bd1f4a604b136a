export {
  TOPIC_CATALOGUE,
  TOPICS,
  PROFILES,
  deadLetterTopicOf,
  prefixedTopic,
  findTopicSpec,
  type TopicName,
  type TopicProfile,
  type TopicSpec,
  type ProfileSettings,
} from './topic-catalogue';
export { topicDrift, desiredConfigs, type ObservedTopic, type TopicDrift } from './topic-drift';
