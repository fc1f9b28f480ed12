using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// One open watch: a chunked HTTP/1.1 response of newline-delimited <c>{"type":…,"object":…}</c>
/// frames (the JSON watch encoding of k8s.io/apiserver/pkg/endpoints/handlers/watch.go). Commits are
/// offered under the store lock in revision order and filtered per watcher exactly as the cacher's
/// cacheWatcher does: an object that starts matching the selectors arrives as ADDED, one that stops
/// matching as DELETED (its previous state, stamped with the new revision).
/// </summary>
internal sealed class WatchStream
{
    private abstract record Frame;

    private sealed record EventFrame(string Type, JsonObject Object) : Frame;

    private sealed record EndFrame(bool Abort) : Frame;

    private readonly Channel<Frame> _frames = Channel.CreateUnbounded<Frame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ResourceKind _kind;
    private readonly string? _namespace;
    private readonly LabelSelector _labels;
    private readonly FieldSelector _fields;

    public WatchStream(ResourceKind kind, string? ns, LabelSelector labels, FieldSelector fields, bool allowBookmarks, string path)
    {
        _kind = kind;
        _namespace = ns;
        _labels = labels;
        _fields = fields;
        AllowBookmarks = allowBookmarks;
        Path = path;
    }

    public string Resource => _kind.StorageName;

    /// <summary>Commits at or below this revision are not delivered (a watch from resourceVersion N starts after N).</summary>
    public long After { get; init; }

    public bool AllowBookmarks { get; }

    /// <summary>The request path, for tests that look at which watches are open.</summary>
    public string Path { get; }

    public bool Matches(JsonObject obj) =>
        (_namespace is null || JsonObjects.Namespace(obj) == _namespace) && _labels.Matches(obj) && _fields.Matches(obj);

    /// <summary>Called under the store lock for every commit of this resource.</summary>
    public void Offer(StoredEvent e)
    {
        if (e.Revision <= After) return;
        var now = e.Type != "DELETED" && Matches(e.Object);
        var before = e.Previous is not null && Matches(e.Previous);
        switch (e.Type)
        {
            case "ADDED" when now:
                Send("ADDED", e.Object);
                break;
            case "MODIFIED" when now && before:
                Send("MODIFIED", e.Object);
                break;
            case "MODIFIED" when now:
                Send("ADDED", e.Object);
                break;
            case "MODIFIED" when before:
                {
                    var gone = e.Previous!.DeepClone().AsObject();
                    JsonObjects.Metadata(gone)["resourceVersion"] = JsonObjects.Rv(e.Revision);
                    Send("DELETED", gone);
                    break;
                }
            case "DELETED" when before:
                Send("DELETED", e.Object);
                break;
        }
    }

    public void Send(string type, JsonObject stored) => _frames.Writer.TryWrite(new EventFrame(type, stored));

    public void SendBookmark(long revision)
    {
        if (AllowBookmarks && revision > After) _frames.Writer.TryWrite(new EventFrame("BOOKMARK", _kind.Bookmark(revision)));
    }

    /// <summary>An ERROR event carrying a Status, then the end of the stream (what newErrWatcher does).</summary>
    public void Fail(ApiException error)
    {
        _frames.Writer.TryWrite(new EventFrame("ERROR", error.ToStatus()));
        End();
    }

    /// <summary>Ends the response cleanly, as a server-side timeout does.</summary>
    public void End() => _frames.Writer.TryWrite(new EndFrame(Abort: false));

    /// <summary>Resets the connection mid-stream, as a crashing server or a broken network does.</summary>
    public void Drop() => _frames.Writer.TryWrite(new EndFrame(Abort: true));

    /// <summary>
    /// Writes frames until the timeout, an end, a drop, or the client going away. Like the cacher, a
    /// watch with bookmarks gets one 2 s before its deadline, so the client resumes from a fresh revision.
    /// </summary>
    public async Task RunAsync(HttpContext ctx, TimeSpan timeout, Action bookmarkNow)
    {
        using var timer = new CancellationTokenSource(timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, ctx.RequestAborted);
        using var preTimeout = new CancellationTokenSource();
        if (AllowBookmarks && timeout > TimeSpan.FromSeconds(2)) preTimeout.CancelAfter(timeout - TimeSpan.FromSeconds(2));
        using var registration = preTimeout.Token.Register(bookmarkNow);
        var body = new StringBuilder();
        try
        {
            while (await _frames.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                body.Clear();
                EndFrame? end = null;
                while (end is null && _frames.Reader.TryRead(out var frame))
                {
                    switch (frame)
                    {
                        case EventFrame f:
                            var obj = f.Type is "BOOKMARK" or "ERROR" ? f.Object : _kind.FromStorage(f.Object);
                            body.Append("{\"type\":\"").Append(f.Type).Append("\",\"object\":").Append(JsonObjects.Serialize(obj)).Append("}\n");
                            break;
                        case EndFrame e:
                            end = e;
                            break;
                    }
                }
                if (body.Length > 0)
                {
                    await ctx.Response.WriteAsync(body.ToString(), stop.Token).ConfigureAwait(false);
                    await ctx.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                }
                if (end is { Abort: true })
                {
                    ctx.Abort();
                    return;
                }
                if (end is not null) return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Timeout (timeoutSeconds, or the server's default) ends the stream cleanly; an aborted
            // request has no one left to write to.
        }
        catch (IOException)
        {
            // The client went away mid-write.
        }
    }
}
