using System.Threading.Channels;
using k8s;
using k8s.Autorest;

namespace Quorum.Tests.ApiServerTests;

/// <summary>
/// Runs one watch through the real client (the response-based WatchAsync the scheduler's
/// ResourceWatcher uses) in the background and records what arrives: events in order, errors the
/// client reports (a 410 comes as a KubernetesException to onError), and how the stream ended.
/// </summary>
internal sealed class WatchRecorder<T, TList> : IAsyncDisposable
{
    private readonly Channel<(WatchEventType Type, T Object)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Exception> _errors = [];

    public WatchRecorder(Func<CancellationToken, Task<HttpOperationResponse<TList>>> start)
    {
        Completion = Task.Run(async () =>
        {
            try
            {
#pragma warning disable CS0618 // the response-based WatchAsync is what ResourceWatcher uses
                await foreach (var e in start(_cts.Token).WatchAsync<T, TList>(ex => { lock (_errors) _errors.Add(ex); }, _cts.Token))
#pragma warning restore CS0618
                    await _events.Writer.WriteAsync(e);
            }
            finally
            {
                _events.Writer.TryComplete();
            }
        });
    }

    /// <summary>Ends when the server ends the stream; faults with what the client threw (e.g. a reset connection).</summary>
    public Task Completion { get; }

    public IReadOnlyList<Exception> Errors
    {
        get { lock (_errors) return _errors.ToList(); }
    }

    public async Task<(WatchEventType Type, T Object)> NextAsync(double seconds = 5)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await _events.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The next event that is not a bookmark.</summary>
    public async Task<(WatchEventType Type, T Object)> NextChangeAsync(double seconds = 5)
    {
        while (true)
        {
            var e = await NextAsync(seconds);
            if (e.Type != WatchEventType.Bookmark) return e;
        }
    }

    public async Task<List<(WatchEventType Type, T Object)>> TakeChangesAsync(int count, double seconds = 5)
    {
        var list = new List<(WatchEventType, T)>();
        while (list.Count < count) list.Add(await NextChangeAsync(seconds));
        return list;
    }

    /// <summary>True when the stream ended (cleanly or not) within the time.</summary>
    public async Task<bool> EndsWithinAsync(double seconds)
    {
        var done = await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromSeconds(seconds)));
        return done == Completion;
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        try
        {
            await Completion;
        }
        catch (Exception)
        {
            // How the stream ended is the test's business (it awaits Completion itself).
        }
        _cts.Dispose();
    }
}
