namespace Quorum.Core.Snapshot;

public enum CacheOutcome
{
    /// <summary>The event changed the cache.</summary>
    Applied,

    /// <summary>Nothing to do (e.g. a delete of something never seen); the reason says why.</summary>
    Ignored,

    /// <summary>The event was refused as invalid; the cache is unchanged.</summary>
    Rejected,
}

/// <summary>What a cache event did, and why when it did nothing: the host logs it, the core never throws on bad input.</summary>
public readonly record struct CacheResult(CacheOutcome Outcome, string? Reason = null)
{
    public static CacheResult Applied => new(CacheOutcome.Applied);
    public static CacheResult Ignore(string reason) => new(CacheOutcome.Ignored, reason);
    public static CacheResult Reject(string reason) => new(CacheOutcome.Rejected, reason);
    public override string ToString() => Reason is null ? Outcome.ToString() : $"{Outcome}: {Reason}";
}
