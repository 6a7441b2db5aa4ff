package io.streamfit.app.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import io.streamfit.app.cli.CliErrors.UserError;

/** Checks that a port the command will listen on is free, before anything slow starts. */
public final class Ports {

    private Ports() {
    }

    /**
     * Fails when nothing can listen on {@code host:port}; 0 (any free port) and less need no check.
     *
     * @param what    what would listen, e.g. {@code HTTP}
     * @param setting what set the port, e.g. {@code http.port from file app.properties} or {@code option --http-port}
     * @param fix     what to do instead, e.g. {@code set http.port to a free port (0 picks one)}
     * @throws UserError if the port is taken, or the host cannot be listened on
     */
    public static void requireFree(String what, String host, int port, String setting, String fix) {
        if (port <= 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            if (bindFailure(e)) {
                throw new UserError(inUse(what, host, port, setting, fix), e);
            }
            throw new UserError("cannot listen on " + host + ":" + port + " (" + setting + "): " + e.getMessage()
                    + "; " + fix, e);
        }
    }

    /** The one line for a port that is taken. */
    public static String inUse(String what, String host, int port, String setting, String fix) {
        return what + " port " + port + " on " + host + " is in use (" + setting + "): stop what listens there or "
                + fix;
    }

    /** Whether {@code e} or a cause is a failure to bind (the port is taken). */
    public static boolean bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }
}
