using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// get, list and watch with the resourceVersion semantics of the API server's watch cache
/// (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions):
/// list with no resourceVersion or "0" serves the current state; "N" (NotOlderThan) serves current
/// state once the store has reached N, waiting ~3 s and answering 504 if it never does; Exact serves
/// the state at N or 410 when history no longer reaches back. limit/continue page through one
/// consistent snapshot (limit is ignored for resourceVersion "0", served from the cache). A watch from
/// "" or "0" starts with synthetic ADDED events for the current state; from N it replays the window
/// after N or, when N is older than the window, sends one ERROR event with a 410 Expired Status.
/// </summary>
internal sealed partial class ApiHandlers
{
    private const string ContinueTooOld =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
        "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent " +
        "list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    private JsonObject Get(ApiTarget t) => store.Atomically(() =>
    {
        var obj = store.Get(t.Kind.StorageName, ObjectStore.Key(t.Namespace, t.Name!)) ?? throw StatusResponses.NotFound(t.Kind, t.Name!);
        return t.Kind.FromStorage(obj);
    });

    private async Task<JsonObject> ListAsync(ApiTarget t, ListOptions o)
    {
        var labels = LabelSelector.Parse(o.LabelSelector);
        var fields = FieldSelector.Parse(t.Kind, o.FieldSelector);
        var requested = o.Revision;
        if (requested is { } rv && o.Continue is null) await WaitForRevisionAsync(rv).ConfigureAwait(false);
        return store.Atomically(() =>
        {
            var resource = t.Kind.StorageName;
            long revision;
            string? startAfter = null;
            IEnumerable<KeyValuePair<string, JsonObject>> state;
            if (o.Continue is { Length: > 0 } token)
            {
                if (!string.IsNullOrEmpty(o.ResourceVersion) && o.ResourceVersion != "0")
                    throw StatusResponses.BadRequest("specifying resource version is not allowed when using continue");
                (revision, startAfter) = DecodeContinue(token);
                state = store.Snapshot(resource, revision) ?? throw StatusResponses.Expired(ContinueTooOld);
            }
            else if (o.ResourceVersionMatch == "Exact" && requested is { } exact)
            {
                revision = exact;
                state = store.Snapshot(resource, exact) ?? throw StatusResponses.Expired("The resourceVersion for the provided list is too old.");
            }
            else
            {
                revision = store.Revision;
                state = store.All(resource);
            }
            var matching = state
                .Where(p => startAfter is null || string.CompareOrdinal(p.Key, startAfter) > 0)
                .Where(p => t.Namespace is null || JsonObjects.Namespace(p.Value) == t.Namespace)
                .Where(p => labels.Matches(p.Value) && fields.Matches(p.Value))
                .ToList();
            var meta = new JsonObject { ["resourceVersion"] = JsonObjects.Rv(revision) };
            // The watch cache serves resourceVersion=0 whole, ignoring limit.
            if (o.Limit is > 0 and var limit && o.ResourceVersion != "0" && matching.Count > limit)
            {
                var remaining = matching.Count - (int)limit;
                matching = matching.Take((int)limit).ToList();
                meta["continue"] = EncodeContinue(revision, matching[^1].Key);
                if (labels.IsEmpty && fields.IsEmpty) meta["remainingItemCount"] = remaining;
            }
            return new JsonObject
            {
                ["kind"] = t.Kind.ListKind,
                ["apiVersion"] = t.Kind.GroupVersion,
                ["metadata"] = meta,
                ["items"] = new JsonArray(matching.Select(p => (JsonNode)t.Kind.AsListItem(t.Kind.FromStorage(p.Value))).ToArray()),
            };
        });
    }

    /// <summary>waitUntilFreshAndBlock: a list at a future resourceVersion waits a while, then 504s.</summary>
    private async Task WaitForRevisionAsync(long revision)
    {
        if (store.Revision >= revision) return;
        if (!await store.WaitForRevisionAsync(revision, options.TooLargeResourceVersionWait, lifetime).ConfigureAwait(false))
            throw StatusResponses.TooLargeResourceVersion(revision, store.Revision);
    }

    private async Task WatchAsync(HttpContext ctx, ApiTarget t, ListOptions o)
    {
        var labels = LabelSelector.Parse(o.LabelSelector);
        var fieldText = o.FieldSelector;
        // The deprecated /watch/.../{name} form watches one object.
        if (t.Name is not null) fieldText = string.IsNullOrEmpty(fieldText) ? $"metadata.name={t.Name}" : $"{fieldText},metadata.name={t.Name}";
        var fields = FieldSelector.Parse(t.Kind, fieldText);
        var requested = o.Revision;
        var timeout = o.TimeoutSeconds is > 0 and var seconds
            ? TimeSpan.FromSeconds(seconds)
            : options.MinRequestTimeout * (1 + Random.Shared.NextDouble());

        // The real server commits to 200 and flushes headers before the first event.
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ctx.RequestAborted).ConfigureAwait(false);

        var watch = store.Atomically(() =>
        {
            var resource = t.Kind.StorageName;
            var current = store.Revision;
            var initial = o.SendInitialEvents ?? requested is null;
            var w = new WatchStream(t.Kind, t.Namespace, labels, fields, o.AllowWatchBookmarks, ctx.Request.Path.Value ?? "")
            {
                After = initial ? current : Math.Max(requested ?? current, 0),
            };
            if (!initial && requested is { } from)
            {
                var window = store.Window(resource);
                if (window.IsTooOld(from))
                {
                    w.Fail(StatusResponses.Expired($"too old resource version: {from} ({window.Oldest - 1})"));
                    return w;
                }
                foreach (var e in window.Since(from)) w.Offer(e);
            }
            if (initial)
            {
                foreach (var (_, obj) in store.All(resource))
                {
                    if (w.Matches(obj)) w.Send("ADDED", obj);
                }
                if (o.SendInitialEvents == true && o.AllowWatchBookmarks)
                {
                    // The end of the initial state is marked by an annotated bookmark (WatchList).
                    var end = t.Kind.Bookmark(current);
                    JsonObjects.Ensure(end, "metadata.annotations")["k8s.io/initial-events-end"] = "true";
                    w.Send("BOOKMARK", end);
                }
            }
            store.Register(w);
            return w;
        });
        try
        {
            await watch.RunAsync(ctx, timeout, () => store.Atomically(() => watch.SendBookmark(store.Revision))).ConfigureAwait(false);
        }
        finally
        {
            store.Unregister(watch);
        }
    }

    private static string EncodeContinue(long revision, string lastKey)
    {
        var json = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = revision, ["start"] = lastKey + "\u0000" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (long Revision, string StartAfter) DecodeContinue(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded)))!;
            if (JsonObjects.Str(json["v"]) != "meta.k8s.io/v1") throw new FormatException("unknown version");
            var start = JsonObjects.Str(json["start"]) ?? throw new FormatException("no start");
            // Items strictly after the last returned key: the token holds key + "\0".
            return (JsonObjects.Long(json["rv"]) ?? throw new FormatException("no rv"), start.TrimEnd('\u0000'));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw StatusResponses.BadRequest($"continue key is not valid: {e.Message}");
        }
    }
}
