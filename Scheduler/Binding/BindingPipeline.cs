using System.Collections.Concurrent;
using System.Threading.Channels;
using Quorum.Core.Model;
using Quorum.Scheduling;

namespace Quorum.Binding;

/// <summary>A bind the loop handed over: the pod (assumed on <see cref="Node"/>) and the term of leadership it belongs to.</summary>
public sealed record BindWork(ObjectKey Group, Pod Pod, string Node, CancellationToken Term)
{
    /// <summary>What the pod's claims need before its bind (PreBind).</summary>
    public IReadOnlyList<Quorum.Core.Plugins.VolumeAction> Volumes { get; init; } = [];
}

/// <summary>How a bind ended, as a message back to the loop, which alone touches the cache.</summary>
public sealed record BindResult(ObjectKey Group, Pod Pod, string Node, BindOutcome Outcome, string? Message);

/// <summary>
/// kube-scheduler's binding cycle: the loop decides and assumes, then hands the pods here and goes
/// on to the next gang while <c>bindParallelism</c> workers (in total, not per gang) POST the
/// bindings. Results come back as messages the loop applies on its own thread. The queue is bounded:
/// when the API server falls behind, the loop waits to hand over more rather than piling up work.
/// A term of leadership that ends cancels the binds handed over in it.
/// </summary>
public sealed class BindingPipeline : IAsyncDisposable
{
    private readonly IPodBinder _binder;
    private readonly ISchedulingReporter _reporter;
    private readonly Channel<BindWork> _work;
    private readonly ConcurrentQueue<BindResult> _results = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly Lock _gate = new();
    private TaskCompletionSource _resultsReady = NewSignal();
    private TaskCompletionSource _idle = NewSignal();
    private int _inFlight;

    public BindingPipeline(IPodBinder binder, ISchedulingReporter reporter, int parallelism, int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _binder = binder;
        _reporter = reporter;
        _work = Channel.CreateBounded<BindWork>(new BoundedChannelOptions(capacity) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _idle.TrySetResult();
        _workers = [.. Enumerable.Range(0, parallelism).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>Binds handed over and not yet reported back (queued or running).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Binds waiting for a worker: while any wait, status writes hold back (binds first).</summary>
    public int Queued => _work.Reader.Count;

    /// <summary>Hands a bind over; waits only while the queue is full.</summary>
    public async ValueTask SubmitAsync(BindWork work, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_inFlight++ == 0) _idle = NewSignal();
        }
        try
        {
            await _work.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Finished();
            throw;
        }
    }

    /// <summary>Takes one finished bind; the loop calls this on its own thread.</summary>
    public bool TryTake(out BindResult result) => _results.TryDequeue(out result!);

    /// <summary>Completes when a result is waiting to be taken (at once if one already is).</summary>
    public Task ResultsReady
    {
        get
        {
            lock (_gate)
            {
                if (!_results.IsEmpty) return Task.CompletedTask;
                if (_resultsReady.Task.IsCompleted) _resultsReady = NewSignal();
                return _resultsReady.Task;
            }
        }
    }

    /// <summary>Completes when every bind handed over so far has reported back.</summary>
    public Task WhenIdle
    {
        get
        {
            lock (_gate) return _idle.Task;
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var w in _work.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                BindResult result;
                try
                {
                    w.Term.ThrowIfCancellationRequested();
                    var (outcome, message) = await _binder.BindAsync(w.Pod, w.Node, w.Volumes, w.Term).ConfigureAwait(false);
                    result = new BindResult(w.Group, w.Pod, w.Node, outcome, message);
                    if (outcome == BindOutcome.Bound) await _reporter.ScheduledAsync(w.Pod, w.Node, w.Term).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (w.Term.IsCancellationRequested)
                {
                    result = new BindResult(w.Group, w.Pod, w.Node, BindOutcome.Failed, "cancelled: this replica stopped leading");
                }
                catch (Exception e)
                {
                    // A binder must not take a worker down with it: the pod is forgotten and its gang retried.
                    result = new BindResult(w.Group, w.Pod, w.Node, BindOutcome.Failed, e.Message);
                }
                _results.Enqueue(result);
                Finished();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Finished()
    {
        TaskCompletionSource ready;
        TaskCompletionSource? idle;
        lock (_gate)
        {
            ready = _resultsReady;
            idle = --_inFlight == 0 ? _idle : null;
        }
        ready.TrySetResult();
        idle?.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
