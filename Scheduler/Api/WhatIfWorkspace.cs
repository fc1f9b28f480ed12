using Quorum.Core.Snapshot;

namespace Quorum.Api;

/// <summary>
/// The private snapshot live what-ifs run on. Copying the whole cluster per question cost 0.5 s on the
/// scheduling loop's thread at 100k nodes (SnapshotUpdateBenchmarks.FullCopy); this copy is instead
/// brought up to date incrementally, like the loop's own, and every what-if gives back what it
/// tentatively placed. One what-if at a time uses it.
/// </summary>
public sealed class WhatIfWorkspace : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Touched only by the holder of the turn: updated on the loop's thread, decided on by the caller.</summary>
    public ClusterSnapshot Snapshot { get; } = new();

    public async Task<IDisposable> TakeTurnAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(_turn);
    }

    public void Dispose() => _turn.Dispose();

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) turn.Release();
        }
    }
}
