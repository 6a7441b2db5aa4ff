package io.streamfit.app.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, so that a test controls every byte and every wait: a request sent
 * whole or in part, a connection kept open, the moment the server closes it.
 */
final class RawHttp {

    /** A response: status, header block (lower-cased names), body and how long it took. */
    record Answer(int status, String headers, String body, long millis) {

        String header(String name) {
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private RawHttp() {
    }

    /** GET on a new connection that asks to be closed after the response; timed from connect to the last byte. */
    static Answer get(int port, String path, int timeoutMs) throws IOException {
        long start = System.nanoTime();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(timeoutMs);
            send(s, request(path, true));
            Answer a = read(s.getInputStream());
            return new Answer(a.status(), a.headers(), a.body(), (System.nanoTime() - start) / 1_000_000);
        }
    }

    static String request(String path, boolean close) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
    }

    static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads one response (status line, headers, Content-Length bytes of body) off a connection. */
    static Answer read(InputStream in) throws IOException {
        String head = readHead(in);
        if (head == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(head.substring(9, 12));
        String headers = head.substring(head.indexOf("\r\n") + 2);
        Answer a = new Answer(status, headers, "", 0);
        String length = a.header("content-length");
        byte[] body = in.readNBytes(length == null ? 0 : Integer.parseInt(length));
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8), 0);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Waits until the server closes the connection (end of stream or reset), reading and
     * discarding anything it sends; returns false if it is still open after the socket's timeout.
     */
    static boolean closedByServer(Socket s) throws IOException {
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // a server may answer before it closes (e.g. 408); what matters is the close
            }
            return true;
        } catch (SocketException reset) {
            return true;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        }
    }
}
