// The web app's chat screens in headless Chromium, several users in browser contexts of their own,
// against a gateway node with the projections and the delivery worker on the real stack.
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, randomName } from '@parley/testing';
import { startGatewayFixture, type GatewayFixture } from '../../gateway/test/gateway-fixture';
import { WEB_APP_BUILD, buildWebApp } from '../../../tools/stack/build-web';
import { DESKTOP, SCREENSHOTS, browserPages } from './browser-pages';

const PHONE = { width: 375, height: 667 };
const PASSWORD = 'correct horse battery';

/** Matches exactly this text, any white space for its white space. */
const wholly = (text: string) =>
  new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')}$`);

describe('the web app: chat (served by the gateway, in Chromium)', () => {
  let fixture: GatewayFixture;
  let browser: Browser;
  const { newPage, closeAll, screenshot } = browserPages(
    () => browser,
    () => fixture.baseUrl,
  );

  const uniqueUsername = (base: string) => `${base}-${randomName('').toLowerCase()}`.slice(0, 24);

  /** Signs a new user up in a browser of their own; answers their page and username. */
  const user = async (base: string, displayName: string, viewport = DESKTOP) => {
    const page = await newPage(viewport);
    const username = uniqueUsername(base);
    await page.goto('/sign-up');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    // Online: the live connection is up (the SDK subscribed its inbox).
    await page.getByLabel('Start a chat with (username)').waitFor();
    return { page, username };
  };

  const startChat = async (page: Page, username: string) => {
    await page.getByLabel('Start a chat with (username)').fill(username);
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await page.locator('#chat-heading').waitFor();
  };

  const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });

  const send = async (page: Page, text: string) => {
    await composer(page).fill(text);
    await composer(page).press('Enter');
  };

  const log = (page: Page) => page.getByRole('log');
  /** A message of the open chat by its whole text (white space as a screen reader reads it). */
  const message = (page: Page, text: string): Locator =>
    log(page)
      .locator('.message')
      .filter({ has: page.locator('.message-text', { hasText: wholly(text) }) });
  const tick = (page: Page, text: string, label: string) =>
    message(page, text).getByRole('img', { name: label, exact: true });
  /** The texts of the messages in the open chat, in the order shown. */
  const texts = (page: Page) => log(page).locator('.message-text').allTextContents();
  const conversation = (page: Page, name: string | RegExp) =>
    page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name });

  beforeAll(async () => {
    await buildWebApp();
    fixture = await startGatewayFixture('webchat', { webAppDir: WEB_APP_BUILD });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    // Content-Security-Policy refusals and uncaught errors, from every page: none may happen.
    expect(await closeAll()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.dispose();
  });

  it('two users chat: the ticks turn delivered, then read when the other opens the chat', async () => {
    const ada = await user('ada', 'Ada Lovelace');
    const bob = await user('bob', 'Bob Babbage');
    await startChat(ada.page, bob.username);
    // The chat's heading has the focus: a screen reader says where the user is.
    expect(await ada.page.evaluate(() => document.activeElement?.id)).toBe('chat-heading');
    await send(ada.page, 'Hello Bob');
    // Bob's browser is online: its device ACKs the inbox item, so Ada sees delivered (not read yet).
    await tick(ada.page, 'Hello Bob', 'Delivered').waitFor();
    await conversation(bob.page, /Hello Bob.*1 unread/).waitFor();

    await conversation(bob.page, /Hello Bob/).click();
    await message(bob.page, 'Hello Bob').waitFor();
    await tick(ada.page, 'Hello Bob', 'Read').waitFor();
    // Opened and read: the badge is gone.
    await conversation(bob.page, /1 unread/).waitFor({ state: 'detached' });

    // Enter sends, Shift+Enter starts a new line.
    await composer(bob.page).click();
    await bob.page.keyboard.type('Hi Ada,');
    await bob.page.keyboard.press('Shift+Enter');
    await bob.page.keyboard.type('how are you?');
    await bob.page.keyboard.press('Enter');
    await message(ada.page, 'Hi Ada, how are you?').waitFor();
    expect(await message(ada.page, 'Hi Ada, how are you?').locator('.message-text').textContent()).toBe(
      'Hi Ada,\nhow are you?',
    );
    expect(await composer(bob.page).inputValue()).toBe('');
    // Ada has the chat open and visible: what Bob wrote is read at once.
    await tick(bob.page, 'Hi Ada, how are you?', 'Read').waitFor();
    // The list: Bob's last message, online (a presence dot), no unread.
    await conversation(ada.page, /^Bob Babbage\W+online\W+last message: Hi Ada,\s+how are you\?$/).waitFor();
    expect(await log(ada.page).getByRole('heading', { name: 'Today' }).count()).toBe(1);

    // Deleted for everybody: Bob's copy says so.
    await send(ada.page, 'a regrettable message');
    await message(bob.page, 'a regrettable message').waitFor();
    const regret = message(ada.page, 'a regrettable message');
    await tick(ada.page, 'a regrettable message', 'Read').waitFor();
    if (SCREENSHOTS) await screenshot(ada.page, 'chat');
    await regret.getByLabel('Message options').click();
    await regret.getByRole('button', { name: 'Delete for everybody' }).click();
    await message(bob.page, 'This message was deleted.').waitFor();
    await message(ada.page, 'This message was deleted.').waitFor();

    // A phone: the chat alone, with a way back to the list (which takes the focus back).
    await ada.page.setViewportSize(PHONE);
    expect(await ada.page.getByRole('navigation', { name: 'Conversations' }).isVisible()).toBe(false);
    if (SCREENSHOTS) await screenshot(ada.page, 'chat-phone');
    await ada.page.getByRole('button', { name: 'Back to Conversations' }).click();
    expect(await log(ada.page).isVisible()).toBe(false);
    const bobInList = conversation(ada.page, /Bob Babbage/);
    expect(await bobInList.evaluate((button) => button === document.activeElement)).toBe(true);
    expect(await ada.page.evaluate(() => document.documentElement.scrollWidth <= 375)).toBe(true);
    if (SCREENSHOTS) await screenshot(ada.page, 'conversations-phone');
    await ada.page.keyboard.press('Enter');
    await log(ada.page).waitFor();
    expect(await ada.page.evaluate(() => document.activeElement?.id)).toBe('chat-heading');
  });

  it('edits an own message: the other page sees the new text and that it was edited', async () => {
    const ada = await user('ada', 'Ada');
    const bob = await user('bob', 'Bob');
    await startChat(ada.page, bob.username);
    await send(ada.page, 'See you at 5');
    await conversation(bob.page, /See you at 5/).click();
    await message(bob.page, 'See you at 5').waitFor();

    // Only one's own messages have Edit.
    await send(bob.page, 'Fine');
    const theirs = message(ada.page, 'Fine');
    await theirs.getByLabel('Message options').click();
    expect(await theirs.getByRole('button', { name: 'Edit', exact: true }).count()).toBe(0);
    await theirs.getByLabel('Message options').click();

    const mine = message(ada.page, 'See you at 5');
    await mine.getByLabel('Message options').click();
    await mine.getByRole('button', { name: 'Edit', exact: true }).click();
    const field = ada.page.getByRole('textbox', { name: 'Edit message' });
    expect(await field.inputValue()).toBe('See you at 5');
    expect(await field.evaluate((element) => element === document.activeElement)).toBe(true);
    await field.fill('See you at 6');
    await field.press('Enter');

    for (const page of [ada.page, bob.page]) {
      await message(page, 'See you at 6').locator('.message-edited', { hasText: 'edited' }).waitFor();
      expect(await message(page, 'See you at 5').count()).toBe(0);
    }
    expect(await message(bob.page, 'Fine').locator('.message-edited').count()).toBe(0);
    // The edit is kept: after a reload, history shows it too.
    await bob.page.reload();
    await conversation(bob.page, /Ada/).click();
    await message(bob.page, 'See you at 6').locator('.message-edited').waitFor();
  });

  it('history loads page by page as the reader scrolls back', async () => {
    const ada = await user('ada', 'Ada');
    const bob = await user('bob', 'Bob');
    await startChat(ada.page, bob.username);
    await send(ada.page, 'message 0');
    await conversation(bob.page, /message 0/).waitFor();
    // 80 more through the HTTP API (pages are 50): quicker than typing them.
    const token = await ada.page.evaluate(
      () => (JSON.parse(localStorage.getItem('parley.session') ?? '{}') as { token: string }).token,
    );
    const conversationId = await ada.page.evaluate(
      () =>
        (JSON.parse(sessionStorage.getItem('parley.open-chat') ?? '{}') as { conversationId: string })
          .conversationId,
    );
    for (let n = 1; n <= 80; n++) {
      const answer = await fetch(`${fixture.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messageId: `${conversationId.slice(0, 8)}-${n}`,
          conversationId,
          text: `message ${n}`,
        }),
      });
      expect(answer.status).toBe(202);
    }
    await conversation(bob.page, /message 80/).waitFor();
    // A fresh page holds nothing the inbox brought: the chat starts from the newest history page.
    await bob.page.reload();
    await conversation(bob.page, /message 80/).click();
    await message(bob.page, 'message 80').waitFor();
    expect(await message(bob.page, 'message 1').count()).toBe(0);
    expect((await texts(bob.page)).length).toBeLessThan(81);
    // Scrolled to the top, the page before comes, and the reader stays where they were.
    await log(bob.page).evaluate((element) => (element.scrollTop = 0));
    await message(bob.page, 'message 1').waitFor();
    await bob.page.getByText('This is the start of the conversation.').waitFor();
    expect((await texts(bob.page)).length).toBe(81);
  });

  it('writes while offline: the messages show as sending and go out on reconnect, in order, once', async () => {
    const ada = await user('ada', 'Ada');
    const bob = await user('bob', 'Bob');
    await startChat(ada.page, bob.username);
    await send(ada.page, 'before');
    await conversation(bob.page, /before/).click();
    await message(bob.page, 'before').waitFor();

    // Chromium's offline mode fails new connections but holds an open WebSocket's frames without
    // closing it; the app drops the SDK's socket on the browser's `offline` event, and reconnects
    // on `online` with a new one (the outbox sends again on it).
    const sockets: { isClosed(): boolean }[] = [];
    // Every SEND the app puts on a socket from here on, by text: the outbox must send each once (the
    // server would drop a second SEND of a messageId, so what Bob sees cannot tell).
    const sends = new Map<string, number>();
    ada.page.on('websocket', (socket) => {
      sockets.push(socket);
      socket.on('framesent', ({ payload }) => {
        const frame = String(payload);
        if (!frame.startsWith('SEND\n') || !frame.includes('destination:/app/chat.send')) return;
        const body = frame.slice(frame.indexOf('\n\n') + 2).replace(/\0$/, '');
        const { text } = JSON.parse(body) as { text: string };
        sends.set(text, (sends.get(text) ?? 0) + 1);
      });
    });
    await ada.page.context().setOffline(true);
    const banner = ada.page.getByRole('status').filter({ hasText: 'You are offline' });
    await banner.waitFor();
    for (const text of ['one', 'two', 'three']) await send(ada.page, text);
    for (const text of ['one', 'two', 'three']) await tick(ada.page, text, 'Sending').waitFor();
    await ada.page.waitForTimeout(1_000);
    expect(await texts(bob.page)).toEqual(['before']);

    await ada.page.context().setOffline(false);
    await banner.waitFor({ state: 'detached' });
    await message(bob.page, 'three').waitFor();
    // They went out on a connection opened since (the held one was dropped, not resumed).
    expect(sockets.some((socket) => !socket.isClosed())).toBe(true);
    // Bob read them (his chat is open): Ada's ticks turn to Read live, right after her reconnect (the
    // gateway answers CONNECTED only once her live channel is subscribed in Redis). The long way
    // (Bob's read, MessageRead, the live relay, Ada's receipts) may take more than 10 s on two busy cores.
    for (const text of ['one', 'two', 'three'])
      await tick(ada.page, text, 'Read').waitFor({ timeout: 25_000 });
    // Once each: nothing comes twice, on either side.
    await bob.page.waitForTimeout(1_000);
    expect(await texts(bob.page)).toEqual(['before', 'one', 'two', 'three']);
    expect(await texts(ada.page)).toEqual(['before', 'one', 'two', 'three']);
    expect(Object.fromEntries(sends)).toEqual({ one: 1, two: 1, three: 1 });
    await bob.page.reload();
    await message(bob.page, 'three').waitFor();
    expect(await texts(bob.page)).toEqual(['before', 'one', 'two', 'three']);
    // And from history after a reload.
    await ada.page.reload();
    for (const text of ['one', 'two', 'three']) await tick(ada.page, text, 'Read').waitFor();
  });

  it('a reload keeps the open conversation and the unsent outbox (IndexedDB); it goes out once on reconnect', async () => {
    const ada = await user('ada', 'Ada');
    const bob = await user('bob', 'Bob');
    await startChat(ada.page, bob.username);
    await send(ada.page, 'first');
    await conversation(bob.page, /first/).click();
    await message(bob.page, 'first').waitFor();

    // Offline, then the page's WebSockets refused while HTTP works: the reload loads the app, which
    // cannot reach STOMP until the test lets it.
    let refuseSockets = true;
    await ada.page.context().routeWebSocket(/\/ws$/, (socket) => {
      if (refuseSockets) void socket.close();
      else socket.connectToServer();
    });
    await ada.page.context().setOffline(true);
    await ada.page.getByRole('status').filter({ hasText: 'You are offline' }).waitFor();
    await send(ada.page, 'kept across a reload');
    await tick(ada.page, 'kept across a reload', 'Sending').waitFor();
    await ada.page.context().setOffline(false);
    await ada.page.reload();

    await ada.page.locator('#chat-heading').filter({ hasText: 'Bob' }).waitFor();
    await tick(ada.page, 'kept across a reload', 'Sending').waitFor();
    await ada.page.getByRole('status').filter({ hasText: 'Parley cannot be reached' }).waitFor();
    expect(await texts(bob.page)).toEqual(['first']);

    refuseSockets = false;
    // The browser says it is back: the app reconnects at once instead of at the backoff's next try.
    await ada.page.context().setOffline(true);
    await ada.page.context().setOffline(false);
    await message(bob.page, 'kept across a reload').waitFor();
    await tick(ada.page, 'kept across a reload', 'Read').waitFor();
    await bob.page.waitForTimeout(1_000);
    expect(await texts(bob.page)).toEqual(['first', 'kept across a reload']);
    expect(await texts(ada.page)).toEqual(['first', 'kept across a reload']);
  });

  it('a group of three: names by id; typing shows and clears; only the creator removes a member, who stops seeing the group', async () => {
    const ada = await user('ada', 'Ada');
    const bob = await user('bob', 'Bob');
    const cy = await user('cy', 'Cy');
    await ada.page.getByRole('button', { name: 'New group' }).click();
    await ada.page.getByLabel('Group title').fill('Trip to Bath');
    await ada.page
      .getByLabel('Members (usernames, separated by commas)')
      .fill(`${bob.username}, ${cy.username}`);
    await ada.page.getByRole('button', { name: 'Create group' }).click();
    await ada.page.locator('#chat-heading').filter({ hasText: 'Trip to Bath' }).waitFor();
    await send(ada.page, 'Welcome, both');
    for (const other of [bob, cy]) {
      await conversation(other.page, /Trip to Bath/).click();
      await message(other.page, 'Welcome, both').waitFor();
    }
    // Read by both: the group message is read only once every other member read it.
    await tick(ada.page, 'Welcome, both', 'Read').waitFor();
    // Cy's browser never looked Ada up by username: the app names the creator by id.
    await message(cy.page, 'Welcome, both')
      .locator('.message-sender', { hasText: wholly('Ada') })
      .waitFor();

    await composer(cy.page).click();
    await cy.page.keyboard.type('Shall we take the train?');
    const typing = bob.page.locator('.typing');
    // Nor did Bob's browser ever look Cy up.
    await typing.filter({ hasText: 'Cy is typing…' }).waitFor();
    await cy.page.keyboard.press('Enter');
    await message(bob.page, 'Shall we take the train?').waitFor();
    await typing.filter({ hasText: 'is typing…' }).waitFor({ state: 'detached' });
    await message(ada.page, 'Shall we take the train?').waitFor();

    // Cy sees every member by name, and no Remove button: only the creator removes others.
    await cy.page.getByRole('button', { name: 'Members' }).click();
    const cysMembers = cy.page.getByRole('region', { name: /Members/ });
    await cysMembers.getByText('Ada', { exact: true }).waitFor();
    await cysMembers.getByText('Bob', { exact: true }).waitFor();
    expect(await cysMembers.getByRole('button', { name: /^Remove/ }).count()).toBe(0);

    await ada.page.getByRole('button', { name: 'Members' }).click();
    const members = ada.page.getByRole('region', { name: /Members/ });
    await members.getByRole('heading', { name: 'Members (3)' }).waitFor();
    if (SCREENSHOTS) await screenshot(ada.page, 'group-members');
    await members.getByRole('button', { name: 'Remove Cy' }).click();
    await members.getByRole('heading', { name: 'Members (2)' }).waitFor();

    // Cy has the group open: the feed ends, the chat says so and the list drops it.
    await cy.page.getByText('You are no longer a member of this group.').waitFor();
    await conversation(cy.page, /Trip to Bath/).waitFor({ state: 'detached' });
    await send(ada.page, 'Just the two of us now');
    await message(bob.page, 'Just the two of us now').waitFor();
    await cy.page.reload();
    await cy.page.getByRole('heading', { name: 'Conversations' }).waitFor();
    await cy.page.waitForTimeout(500);
    expect(await conversation(cy.page, /Trip to Bath/).count()).toBe(0);
    expect(await cy.page.getByText('Just the two of us now').count()).toBe(0);
  });
});
