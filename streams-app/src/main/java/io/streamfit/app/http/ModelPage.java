package io.streamfit.app.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import io.streamfit.app.metrics.ModelInfo;

/**
 * One page of the live models in key order ({@link String#compareTo}: UTF-16 code units, for ASCII
 * keys their byte order), taken from the live directory without copying it: one pass keeps the
 * {@code limit + 1} smallest keys after the cursor in a bounded heap, so a request takes memory in
 * proportion to its page, not to the number of models (time is linear in them:
 * {@code benchmarks/run.sh http} measures it).
 *
 * <p>Pages follow each other by key: every key of a page is greater than the cursor, so walking the
 * pages never yields a key twice and yields every key that was live for the whole walk; a key
 * added or removed meanwhile may or may not appear.
 *
 * @param models the page, in key order, at most the limit it was taken with
 * @param next   the cursor of the next page (its last key), or null when no key follows
 */
record ModelPage(List<ModelInfo> models, String next) {

    private static final Comparator<ModelInfo> BY_KEY = Comparator.comparing(ModelInfo::key);

    /**
     * @param live  the live models, in any order; iterated once (a concurrent map's weakly
     *              consistent view is fine)
     * @param after the cursor: only keys greater than it; null or empty for the first page
     * @param limit the page size, at least 1
     */
    static ModelPage of(Iterable<ModelInfo> live, String after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        String cursor = after == null || after.isEmpty() ? null : after;
        int keep = limit + 1; // one more than the page tells whether a next page exists
        // The largest kept key on top, so a smaller one replaces it.
        PriorityQueue<ModelInfo> smallest = new PriorityQueue<>(Math.min(keep, 1024), BY_KEY.reversed());
        for (ModelInfo m : live) {
            if (cursor != null && m.key().compareTo(cursor) <= 0) {
                continue;
            }
            if (smallest.size() < keep) {
                smallest.add(m);
            } else if (m.key().compareTo(smallest.peek().key()) < 0) {
                smallest.poll();
                smallest.add(m);
            }
        }
        List<ModelInfo> page = new ArrayList<>(smallest);
        page.sort(BY_KEY);
        if (page.size() <= limit) {
            return new ModelPage(page, null);
        }
        page.remove(limit);
        return new ModelPage(page, page.get(limit - 1).key());
    }
}
