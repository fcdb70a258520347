// messaging-api: the route table of /v1/messaging. Each route (its spec and handler) lives with
// its resource, in one file per resource with its SQL.
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import * as conversations from './conversations.ts';
import * as follows from './follows.ts';
import * as messages from './messages.ts';
import * as notifications from './notifications.ts';
import { stream } from './stream.ts';

const api = createApi({ service: 'messaging', base: '/v1/messaging', version });

api
  // Conversations and their members
  .post('/conversations', conversations.createConversation)
  .get('/conversations', conversations.listConversations)
  .get('/conversations/:id', conversations.getConversation)
  .patch('/conversations/:id', conversations.updateConversation)
  .get('/conversations/:id/members', conversations.listMembers)
  .post('/conversations/:id/members', conversations.addMember)
  .delete('/conversations/:id/members/:userId', conversations.removeMember)
  .put('/conversations/:id/read', conversations.markRead)
  // Messages
  .post('/conversations/:id/messages', messages.postMessage)
  .get('/conversations/:id/messages', messages.listMessages)
  .get('/messages/:id', messages.getMessage)
  .patch('/messages/:id', messages.editMessage)
  .delete('/messages/:id', messages.deleteMessage)
  // Notifications, their preferences, and follows (whose published books notify)
  .get('/notifications', notifications.listNotifications)
  .post('/notifications/read-all', notifications.markAllNotificationsRead)
  .post('/notifications/:id/read', notifications.markNotificationRead)
  .delete('/notifications/:id', notifications.deleteNotification)
  .get('/notification-preferences', notifications.listPreferences)
  .put('/notification-preferences/:type', notifications.updatePreference)
  .get('/follows', follows.listFollows)
  .post('/follows/:userId', follows.follow)
  .delete('/follows/:userId', follows.unfollow)
  // Everything for the caller, as Server-Sent Events since Last-Event-ID
  .get('/stream', stream);

serveHttp(api);
