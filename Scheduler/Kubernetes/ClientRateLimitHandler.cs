using System.Threading.RateLimiting;

namespace Quorum.Kubernetes;

/// <summary>
/// clientConnection.qps / burst, as client-go applies them: a token bucket in front of every request
/// to the API server (a watch takes one token when it starts), so a burst of binds for a 1,000-pod
/// gang cannot flood the API server.
/// </summary>
public sealed class ClientRateLimitHandler : DelegatingHandler
{
    private readonly TokenBucketRateLimiter _limiter;

    public ClientRateLimitHandler(float qps, int burst)
    {
        // Whole tokens per period: qps 50 → 1 token every 20 ms; qps 0.5 → 1 every 2 s.
        var period = TimeSpan.FromSeconds(1 / Math.Max(qps, 0.001));
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = period < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _limiter.Dispose();
        base.Dispose(disposing);
    }
}
