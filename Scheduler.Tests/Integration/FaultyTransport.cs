using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;

namespace Quorum.Tests.Integration;

/// <summary>A binding the scheduler sent and what came of it.</summary>
/// <param name="Status">The status code the scheduler saw.</param>
/// <param name="Committed">Whether the API server accepted the binding (it may have, behind an injected failure).</param>
public sealed record BindRecord(string Namespace, string Pod, string Node, int Status, bool Committed);

/// <summary>
/// The network between one scheduler instance and the API server, with faults a test can switch on.
/// It sits in the scheduler's own HTTP pipeline, so the same faults work against the in-process
/// stand-in and against a real cluster: watch connections reset mid-stream, a partition (every
/// request refused, as when the instance loses its network), reads blocked while writes go through,
/// and failing binds — before the API server sees them, or after it committed them (a timeout
/// after etcd accepted the write, which the client cannot tell apart from a failure).
/// </summary>
public sealed class FaultyTransport : DelegatingHandler
{
    private sealed class BindFault(Func<string, bool> pod, int statusCode, bool afterCommit, int times)
    {
        public Func<string, bool> Pod { get; } = pod;
        public int StatusCode { get; } = statusCode;
        public bool AfterCommit { get; } = afterCommit;
        public int Remaining { get; set; } = times;
    }

    private readonly Lock _gate = new();
    private readonly List<BindFault> _bindFaults = [];
    private readonly List<BindRecord> _binds = [];
    private CancellationTokenSource _severed = new();
    private CancellationTokenSource _ended = new();
    private bool _partitioned;
    private bool _readsBlocked;
    private bool _expireResumptions;
    private readonly HashSet<string> _expiredPaths = new(StringComparer.Ordinal);
    private int _watchesOpened;

    public IReadOnlyList<BindRecord> Binds
    {
        get { lock (_gate) return [.. _binds]; }
    }

    /// <summary>Watch requests sent so far (initial watches and every resumption).</summary>
    public int WatchesOpened => Volatile.Read(ref _watchesOpened);

    /// <summary>Resets every open watch connection, as a load balancer or a dying API server does.</summary>
    public void DropWatches() => Fire(ref _severed);

    /// <summary>Ends every open watch cleanly, as the API server does when a watch's timeoutSeconds runs out.</summary>
    public void EndWatches() => Fire(ref _ended);

    /// <summary>Cancels what the open watches hold and gives later watches a fresh source.</summary>
    private void Fire(ref CancellationTokenSource source)
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = source;
            source = new CancellationTokenSource();
        }
        old.Cancel();
        old.Dispose();
    }

    /// <summary>While on, every request fails to connect and open watches are reset.</summary>
    public void Partition(bool on)
    {
        lock (_gate) _partitioned = on;
        if (on) DropWatches();
    }

    /// <summary>While on, lists and watches fail to connect (open watches are reset); writes still go through.</summary>
    public void BlockReads(bool on)
    {
        lock (_gate) _readsBlocked = on;
        if (on) DropWatches();
    }

    /// <summary>
    /// The next resumption of each watch is answered as an API server answers a resourceVersion that
    /// has left its watch cache: HTTP 200 and a single ERROR event carrying a 410 Expired Status. For
    /// a real cluster, where a test can neither compact the watch cache nor rely on an old version
    /// being gone (a young server still replays from resourceVersion 1). The relist that follows goes
    /// to the real server.
    /// </summary>
    public void ExpireNextResumptions()
    {
        lock (_gate)
        {
            _expireResumptions = true;
            _expiredPaths.Clear();
        }
    }

    /// <summary>Binds of pods matching <paramref name="pod"/> fail with <paramref name="statusCode"/>, <paramref name="times"/> times.</summary>
    public void FailBinds(Func<string, bool> pod, int statusCode, bool afterCommit = false, int times = int.MaxValue)
    {
        lock (_gate) _bindFaults.Add(new BindFault(pod, statusCode, afterCommit, times));
    }

    public void ClearBindFaults()
    {
        lock (_gate) _bindFaults.Clear();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var query = HttpUtility.ParseQueryString(uri.Query);
        var isWatch = query["watch"] is "true" or "1";
        CancellationToken severed, ended;
        lock (_gate)
        {
            if (_partitioned || (_readsBlocked && request.Method == HttpMethod.Get))
                throw new HttpRequestException($"connection refused (injected) to {uri.Authority}", null, null);
            severed = _severed.Token;
            ended = _ended.Token;
            if (isWatch && _expireResumptions && query["resourceVersion"] is { Length: > 0 } rv && rv != "0" && _expiredPaths.Add(uri.AbsolutePath))
                return Expired(request, rv);
        }
        if (request.Method == HttpMethod.Post && uri.AbsolutePath.EndsWith("/binding", StringComparison.Ordinal))
            return await BindAsync(request, cancellationToken).ConfigureAwait(false);

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!isWatch) return response;
        Interlocked.Increment(ref _watchesOpened);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var content = new StreamContent(new SeverableStream(body, severed, ended));
        foreach (var h in response.Content.Headers) content.Headers.TryAddWithoutValidation(h.Key, h.Value);
        response.Content = content;
        return response;
    }

    private async Task<HttpResponseMessage> BindAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // /api/v1/namespaces/{ns}/pods/{name}/binding
        var segments = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var (ns, pod) = (segments[3], segments[5]);
        var body = request.Content is null ? "{}" : await request.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var node = JsonNode.Parse(body)?["target"]?["name"]?.GetValue<string>() ?? "";
        BindFault? fault;
        lock (_gate)
        {
            fault = _bindFaults.FirstOrDefault(f => f.Remaining > 0 && f.Pod(pod));
            if (fault is not null) fault.Remaining--;
        }
        if (fault is { AfterCommit: false })
        {
            Record(new BindRecord(ns, pod, node, fault.StatusCode, Committed: false));
            return Failure(request, fault.StatusCode);
        }
        var response = await base.SendAsync(request, ct).ConfigureAwait(false);
        var committed = response.StatusCode == HttpStatusCode.Created;
        if (fault is not null)
        {
            response.Dispose();
            Record(new BindRecord(ns, pod, node, fault.StatusCode, committed));
            return Failure(request, fault.StatusCode);
        }
        Record(new BindRecord(ns, pod, node, (int)response.StatusCode, committed));
        return response;
    }

    private void Record(BindRecord record)
    {
        lock (_gate) _binds.Add(record);
    }

    /// <summary>The watch response for a resourceVersion the server no longer has (the cacher's errWatcher).</summary>
    private static HttpResponseMessage Expired(HttpRequestMessage request, string resourceVersion)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = $"too old resource version: {resourceVersion}", ["reason"] = "Expired", ["code"] = 410,
        };
        var line = new JsonObject { ["type"] = "ERROR", ["object"] = status }.ToJsonString() + "\n";
        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent(line, Encoding.UTF8, "application/json") };
    }

    /// <summary>A metav1.Status as the API server writes it for the code.</summary>
    private static HttpResponseMessage Failure(HttpRequestMessage request, int code)
    {
        var (reason, message) = code switch
        {
            409 => ("Conflict", "Operation cannot be fulfilled on pods/binding: injected conflict"),
            404 => ("NotFound", "pods not found (injected)"),
            429 => ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
            503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
            504 => ("Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded"),
            _ => ("InternalError", "Internal error occurred: injected failure"),
        };
        var status = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["code"] = code,
        };
        return new HttpResponseMessage((HttpStatusCode)code) { RequestMessage = request, Content = new StringContent(status.ToJsonString(), Encoding.UTF8, "application/json") };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _severed.Dispose();
            _ended.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>A response body the test can reset (reads fail as a reset socket's do) or end (reads find the end).</summary>
    private sealed class SeverableStream(Stream inner, CancellationToken severed, CancellationToken ended) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, severed, ended);
            try
            {
                if (ended.IsCancellationRequested) return 0;
                return await inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (severed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException("Connection reset by peer (injected)");
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
