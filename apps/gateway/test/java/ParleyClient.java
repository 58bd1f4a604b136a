// A Parley client written against the JDK alone, as a Java team would call the gateway: run as a
// single-file source program (`java ParleyClient.java <mode> <baseUrl> [count]`, Java 17+, no Maven).
// It is one file because the source launcher compiles one file; each mode is a class of its own.
//
//   http-chat   java.net.http.HttpClient with its default version (HTTP_2, so it offers `Upgrade: h2c`
//               over http://): registers two users, logs in, sends `count` messages (each must get
//               202), then polls the conversation's history until every message is there exactly once.
//   stomp-inbox  STOMP 1.2 over java.net.http.WebSocket (sub-protocol v12.stomp), as Spring's
//               WebSocketStompClient would do it: the recipient CONNECTs with its bearer token,
//               subscribes to /user/queue/messages with client-individual ACKs; the sender SENDs
//               `count` messages with receipts; the recipient ACKs each MESSAGE, and the sender sees a
//               `delivered` receipt for every one on /user/queue/receipts.
//
// Prints `OK <mode> ...` and exits 0 when every check held; prints `FAIL <reason>` and exits 1 when
// one did not. Spawned by apps/gateway/src/non-js-clients.int.spec.ts against a gateway fixture.

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

public class ParleyClient {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.out.println("usage: java ParleyClient.java http-chat|stomp-inbox <baseUrl> [count]");
      System.exit(2);
    }
    URI base = URI.create(args[1]);
    int count = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    try {
      switch (args[0]) {
        case "http-chat":
          new HttpChat(base, count).run();
          break;
        case "stomp-inbox":
          new StompInbox(base, count).run();
          break;
        default:
          throw new CheckFailed("unknown mode " + args[0]);
      }
    } catch (CheckFailed failed) {
      System.out.println("FAIL " + failed.getMessage());
      System.exit(1);
    }
  }
}

/** A check that did not hold: the program prints it and exits 1. */
class CheckFailed extends Exception {
  private static final long serialVersionUID = 1L;

  CheckFailed(String message) {
    super(message);
  }

  static void check(boolean holds, String message) throws CheckFailed {
    if (!holds) throw new CheckFailed(message);
  }
}

/** The HTTP API through one HttpClient of default settings. */
class Api {
  final HttpClient client = HttpClient.newHttpClient();
  final URI base;

  Api(URI base) {
    this.base = base;
  }

  /** Parsed JSON answer with its status and the HTTP version the exchange ended up on. */
  static final class Answer {
    final int status;
    final Object body;
    final HttpClient.Version version;

    Answer(int status, Object body, HttpClient.Version version) {
      this.status = status;
      this.body = body;
      this.version = version;
    }

    Map<String, Object> object() throws CheckFailed {
      CheckFailed.check(body instanceof Map, "expected a JSON object, got " + body);
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) body;
      return map;
    }
  }

  HttpRequest request(String method, String path, String token, Object body) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    if (token != null) builder.header("Authorization", "Bearer " + token);
    if (body == null) return builder.method(method, HttpRequest.BodyPublishers.noBody()).build();
    return builder
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)))
        .build();
  }

  CompletableFuture<Answer> callAsync(String method, String path, String token, Object body) {
    return client
        .sendAsync(request(method, path, token, body), HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response ->
                new Answer(
                    response.statusCode(),
                    bodyOf(response),
                    response.version()));
  }

  /** JSON when the answer says so; otherwise the text, so a refusal shows in the failure message. */
  static Object bodyOf(HttpResponse<String> response) {
    boolean json =
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
    if (response.body().isEmpty()) return null;
    return json ? Json.parse(response.body()) : response.body();
  }

  Answer call(String method, String path, String token, Object body) throws Exception {
    return callAsync(method, path, token, body).get();
  }

  /** Registers a user with a fresh name; returns the answer's fields (userId, username, token). */
  Map<String, Object> register(String label) throws Exception {
    String username = (label + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase();
    Answer answer =
        call("POST", "/v1/auth/register", null, Map.of("username", username, "password", "password-1"));
    CheckFailed.check(answer.status == 201, "register answered " + answer.status + " " + answer.body);
    Map<String, Object> session = answer.object();
    CheckFailed.check(username.equals(session.get("username")), "register echoed " + session);
    CheckFailed.check(session.get("userId") instanceof String, "register gave no userId: " + session);
    CheckFailed.check(session.get("token") instanceof String, "register gave no token: " + session);
    return session;
  }

  /** A JSON object from a text (a STOMP body). */
  static Map<String, Object> object(String json) throws CheckFailed {
    return new Answer(200, Json.parse(json), null).object();
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}

class HttpChat {
  private final Api api;
  private final int count;

  HttpChat(URI base, int count) {
    this.api = new Api(base);
    this.count = count;
  }

  void run() throws Exception {
    CheckFailed.check(
        api.client.version() == HttpClient.Version.HTTP_2,
        "the client should prefer HTTP/2 by default, has " + api.client.version());
    Map<String, Object> ada = api.register("ada");
    Map<String, Object> bob = api.register("bob");

    Api.Answer login =
        api.call(
            "POST",
            "/v1/auth/login",
            null,
            Map.of("username", ada.get("username"), "password", "password-1"));
    CheckFailed.check(login.status == 200, "login answered " + login.status + " " + login.body);
    CheckFailed.check(ada.get("userId").equals(login.object().get("userId")), "login: " + login.body);
    String adaToken = (String) login.object().get("token");

    // Ten at a time: several connections, each opened with an HTTP/2 offer, and reused after it.
    Map<String, String> texts = new LinkedHashMap<>();
    String conversationId = null;
    for (int first = 0; first < count; first += 10) {
      List<CompletableFuture<Api.Answer>> batch = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (int i = first; i < Math.min(first + 10, count); i++) {
        String messageId = UUID.randomUUID().toString();
        String text = "java message " + i + " ✓";
        texts.put(messageId, text);
        ids.add(messageId);
        Map<String, Object> body = Map.of("messageId", messageId, "recipientId", bob.get("userId"), "text", text);
        batch.add(api.callAsync("POST", "/v1/messages", adaToken, body));
      }
      for (int i = 0; i < batch.size(); i++) {
        Api.Answer sent = batch.get(i).get();
        CheckFailed.check(sent.status == 202, "send answered " + sent.status + " " + sent.body);
        Map<String, Object> answer = sent.object();
        CheckFailed.check(ids.get(i).equals(answer.get("messageId")), "send echoed " + answer);
        CheckFailed.check("sent".equals(answer.get("status")), "send status: " + answer);
        if (conversationId == null) conversationId = (String) answer.get("conversationId");
        CheckFailed.check(
            conversationId != null && conversationId.equals(answer.get("conversationId")),
            "every message goes to one direct conversation: " + answer);
      }
    }

    // The read model follows Kafka: poll until it shows every message, as a client would.
    String path = "/v1/conversations/" + Api.encode(conversationId) + "/messages?limit=200";
    String bobToken = (String) bob.get("token");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Map<String, Integer> seen = new HashMap<>();
    List<Map<String, Object>> messages = List.of();
    while (true) {
      Api.Answer history = api.call("GET", path, bobToken, null);
      CheckFailed.check(history.status == 200, "history answered " + history.status + " " + history.body);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> page = (List<Map<String, Object>>) history.object().get("messages");
      messages = page;
      seen.clear();
      for (Map<String, Object> message : messages) seen.merge((String) message.get("messageId"), 1, Integer::sum);
      if (seen.keySet().containsAll(texts.keySet())) break;
      CheckFailed.check(
          System.nanoTime() < deadline,
          "history shows " + seen.size() + " of " + count + " messages after 60 s");
      Thread.sleep(200);
    }
    CheckFailed.check(messages.size() == count, "history has " + messages.size() + " messages, sent " + count);
    for (Map<String, Object> message : messages) {
      String messageId = (String) message.get("messageId");
      CheckFailed.check(seen.get(messageId) == 1, "message " + messageId + " is in the history twice");
      CheckFailed.check(texts.get(messageId).equals(message.get("text")), "text changed: " + message);
      CheckFailed.check(ada.get("userId").equals(message.get("senderId")), "sender: " + message);
    }
    System.out.println(
        "OK http-chat sent=" + count + " history=" + messages.size() + " version=" + login.version);
  }
}

class StompInbox {
  private final Api api;
  private final URI base;
  private final int count;

  StompInbox(URI base, int count) {
    this.api = new Api(base);
    this.base = base;
    this.count = count;
  }

  void run() throws Exception {
    Map<String, Object> ada = api.register("ada");
    Map<String, Object> bob = api.register("bob");
    String bobId = (String) bob.get("userId");

    // Bob's phone: ACKs every inbox MESSAGE as it arrives, by the value of its `ack` header.
    Stomp phone =
        Stomp.connect(
            base,
            (String) bob.get("token"),
            "java-phone",
            frame -> {
              if ("MESSAGE".equals(frame.command) && "inbox".equals(frame.headers.get("subscription")))
                frame.owner.send("ACK", Map.of("id", frame.require("ack")), "");
            });
    CheckFailed.check("v12.stomp".equals(phone.socket.getSubprotocol()), "sub-protocol " + phone.socket.getSubprotocol());
    phone.subscribe("inbox", "/user/queue/messages", Map.of("ack", "client-individual"));

    Stomp sender = Stomp.connect(base, (String) ada.get("token"), "java-laptop", frame -> {});
    sender.subscribe("receipts", "/user/queue/receipts", Map.of());
    sender.subscribe("errors", "/user/queue/errors", Map.of());

    Set<String> sent = new HashSet<>();
    for (int i = 0; i < count; i++) {
      String messageId = UUID.randomUUID().toString();
      sent.add(messageId);
      String body = Json.write(Map.of("messageId", messageId, "recipientId", bobId, "text", "stomp " + i));
      sender.sendWithReceipt("/app/chat.send", Map.of("content-type", "application/json"), body);
    }

    // Every message reaches the phone (a redelivery may repeat one: clients drop those by messageId).
    Set<String> received = new HashSet<>();
    Stomp.await(
        () -> {
          received.clear();
          for (Stomp.Frame frame : phone.frames) {
            if (!"MESSAGE".equals(frame.command) || !"inbox".equals(frame.headers.get("subscription"))) continue;
            frame.require("inbox-position");
            Map<String, Object> item = Api.object(frame.body);
            if ("message".equals(item.get("kind"))) received.add((String) item.get("messageId"));
          }
          return received.containsAll(sent);
        },
        "the phone to receive all " + count + " messages");
    CheckFailed.check(received.equals(sent), "the phone received other messages: " + received);

    // The ACKs make every message delivered to Bob, and the sender is told so.
    Set<String> delivered = new HashSet<>();
    Stomp.await(
        () -> {
          delivered.clear();
          for (Stomp.Frame frame : sender.frames) {
            if (!"MESSAGE".equals(frame.command) || !"receipts".equals(frame.headers.get("subscription"))) continue;
            Map<String, Object> receipt = Api.object(frame.body);
            if ("delivered".equals(receipt.get("status")) && bobId.equals(receipt.get("recipientId")))
              delivered.add((String) receipt.get("messageId"));
          }
          return delivered.containsAll(sent);
        },
        "a delivered receipt for all " + count + " messages");
    for (Stomp.Frame frame : sender.frames)
      CheckFailed.check(!"errors".equals(frame.headers.get("subscription")), "refused: " + frame.body);

    phone.disconnect();
    sender.disconnect();
    System.out.println(
        "OK stomp-inbox sent=" + count + " received=" + received.size() + " delivered=" + delivered.size());
  }
}

/** A STOMP 1.2 client over java.net.http.WebSocket: frames in, frames out, receipts awaited. */
final class Stomp implements WebSocket.Listener {
  static final Duration PATIENCE = Duration.ofSeconds(60);

  /** One frame from the server, with the client it came to (to answer it). */
  static final class Frame {
    final Stomp owner;
    final String command;
    final Map<String, String> headers;
    final String body;

    Frame(Stomp owner, String command, Map<String, String> headers, String body) {
      this.owner = owner;
      this.command = command;
      this.headers = headers;
      this.body = body;
    }

    String require(String header) {
      String value = headers.get(header);
      if (value == null) throw new IllegalStateException(command + " without " + header + ": " + headers);
      return value;
    }
  }

  /** Everything the server sent, in order. */
  final ConcurrentLinkedQueue<Frame> frames = new ConcurrentLinkedQueue<>();
  private final Consumer<Frame> onFrame;
  private final StringBuilder partial = new StringBuilder();
  private CompletableFuture<WebSocket> sending = null;
  WebSocket socket;

  private Stomp(Consumer<Frame> onFrame) {
    this.onFrame = onFrame;
  }

  static Stomp connect(URI base, String token, String deviceId, Consumer<Frame> onFrame) throws Exception {
    Stomp stomp = new Stomp(onFrame);
    URI uri = URI.create("ws://" + base.getAuthority() + "/ws");
    stomp.socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .subprotocols("v12.stomp")
            .connectTimeout(Duration.ofSeconds(20))
            .buildAsync(uri, stomp)
            .get(30, TimeUnit.SECONDS);
    stomp.sending = CompletableFuture.completedFuture(stomp.socket);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("accept-version", "1.2");
    headers.put("host", base.getHost());
    headers.put("heart-beat", "0,0");
    headers.put("Authorization", "Bearer " + token);
    headers.put("device-id", deviceId);
    stomp.send("CONNECT", headers, "");
    await(() -> stomp.has("CONNECTED") || stomp.has("ERROR"), "CONNECTED");
    for (Frame frame : stomp.frames)
      CheckFailed.check(!"ERROR".equals(frame.command), "CONNECT refused: " + frame.headers);
    return stomp;
  }

  /** SUBSCRIBE, answered once the server has it (its RECEIPT). */
  void subscribe(String id, String destination, Map<String, String> extra) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>(extra);
    headers.put("id", id);
    headers.put("destination", destination);
    sendWithReceipt(headers, "SUBSCRIBE", "");
  }

  void sendWithReceipt(String destination, Map<String, String> extra, String body) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>(extra);
    headers.put("destination", destination);
    sendWithReceipt(headers, "SEND", body);
  }

  private void sendWithReceipt(Map<String, String> headers, String command, String body) throws Exception {
    String receipt = UUID.randomUUID().toString();
    Map<String, String> withReceipt = new LinkedHashMap<>(headers);
    withReceipt.put("receipt", receipt);
    send(command, withReceipt, body);
    await(
        () ->
            frames.stream()
                .anyMatch(f -> "RECEIPT".equals(f.command) && receipt.equals(f.headers.get("receipt-id"))),
        "RECEIPT for " + command + " " + headers.get("destination"));
  }

  void disconnect() throws Exception {
    sendWithReceipt(new LinkedHashMap<>(), "DISCONNECT", "");
    // The server closes the socket after DISCONNECT's RECEIPT; closing from this side may find it gone.
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(error -> socket);
  }

  /** One frame out; the WebSocket takes one message at a time, so sends queue behind each other. */
  synchronized void send(String command, Map<String, String> headers, String body) {
    StringBuilder frame = new StringBuilder(command).append('\n');
    // STOMP 1.2 escapes header octets in every frame but CONNECT (kept as STOMP 1.0 wrote it).
    boolean escaped = !"CONNECT".equals(command);
    headers.forEach(
        (name, value) ->
            frame
                .append(escaped ? escape(name) : name)
                .append(':')
                .append(escaped ? escape(value) : value)
                .append('\n'));
    frame.append('\n').append(body).append('\0');
    sending = sending.thenCompose(ws -> ws.sendText(frame, true));
  }

  private boolean has(String command) {
    return frames.stream().anyMatch(f -> command.equals(f.command));
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls `condition` until it holds; fails after PATIENCE. */
  static void await(Condition condition, String what) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.holds()) {
      CheckFailed.check(System.nanoTime() < deadline, "no " + what + " within " + PATIENCE.toSeconds() + " s");
      Thread.sleep(50);
    }
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      String message = partial.toString();
      partial.setLength(0);
      for (String raw : message.split("\0", -1)) {
        String trimmed = raw.replaceFirst("^[\r\n]+", "");
        if (trimmed.isEmpty()) continue; // heart-beats, and what follows the last NUL
        Frame frame = parse(trimmed);
        frames.add(frame);
        onFrame.accept(frame);
      }
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    frames.add(new Frame(this, "ERROR", Map.of("message", "websocket: " + error), ""));
  }

  private Frame parse(String raw) {
    int end = raw.indexOf("\n\n");
    String head = end < 0 ? raw : raw.substring(0, end);
    String body = end < 0 ? "" : raw.substring(end + 2);
    String[] lines = head.split("\r?\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      // STOMP 1.2: the first occurrence of a header wins.
      headers.putIfAbsent(unescape(lines[i].substring(0, colon)), unescape(lines[i].substring(colon + 1)));
    }
    return new Frame(this, lines[0], headers, body);
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace(":", "\\c");
  }

  private static String unescape(String value) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c != '\\' || i + 1 == value.length()) {
        out.append(c);
        continue;
      }
      char next = value.charAt(++i);
      out.append(next == 'c' ? ':' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
    }
    return out.toString();
  }
}

/** Just enough JSON for the gateway's answers: objects, arrays, strings, numbers, booleans, null. */
final class Json {
  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  static Object parse(String text) {
    Json json = new Json(text);
    Object value = json.value();
    json.space();
    if (json.at != text.length()) throw json.error("trailing characters");
    return value;
  }

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      out.append('"');
      for (char c : ((String) value).toCharArray()) {
        if (c == '"' || c == '\\') out.append('\\').append(c);
        else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
        else out.append(c);
      }
      out.append('"');
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        if (!first) out.append(',');
        first = false;
        write(String.valueOf(entry.getKey()), out);
        out.append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List) {
      out.append('[');
      boolean first = true;
      for (Object item : (List<?>) value) {
        if (!first) out.append(',');
        first = false;
        write(item, out);
      }
      out.append(']');
    } else {
      out.append(value);
    }
  }

  private Object value() {
    space();
    if (at >= text.length()) throw error("unexpected end");
    char c = text.charAt(at);
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return string();
    if (text.startsWith("true", at)) return literal("true", Boolean.TRUE);
    if (text.startsWith("false", at)) return literal("false", Boolean.FALSE);
    if (text.startsWith("null", at)) return literal("null", null);
    return number();
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    at++;
    space();
    if (peek('}')) return map;
    while (true) {
      space();
      String key = string();
      space();
      expect(':');
      map.put(key, value());
      space();
      if (peek('}')) return map;
      expect(',');
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    at++;
    space();
    if (peek(']')) return list;
    while (true) {
      list.add(value());
      space();
      if (peek(']')) return list;
      expect(',');
    }
  }

  private String string() {
    expect('"');
    StringBuilder out = new StringBuilder();
    while (true) {
      if (at >= text.length()) throw error("unterminated string");
      char c = text.charAt(at++);
      if (c == '"') return out.toString();
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char escaped = text.charAt(at++);
      switch (escaped) {
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'n': out.append('\n'); break;
        case 'r': out.append('\r'); break;
        case 't': out.append('\t'); break;
        case 'u':
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
          break;
        default: out.append(escaped);
      }
    }
  }

  private Object number() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
    String digits = text.substring(start, at);
    if (digits.isEmpty()) throw error("unexpected character");
    if (digits.matches("-?\\d+")) return Long.parseLong(digits);
    return Double.parseDouble(digits);
  }

  private Object literal(String word, Object value) {
    at += word.length();
    return value;
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
  }

  private boolean peek(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) throw error("expected '" + c + "'");
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at " + at + " in " + text);
  }
}
