using System.Threading.RateLimiting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Quorum.Configuration;

namespace Quorum.Api;

/// <summary>
/// A token bucket per caller address (<c>grpcRateLimit</c>) in front of everything else, so neither
/// the API server's reviews nor the scheduling loop pay for a flood. Over the limit: ResourceExhausted.
/// </summary>
public sealed class RateLimitInterceptor : Interceptor, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly GrpcRateLimitOptions _options;

    public RateLimitInterceptor(SchedulerOptions options)
    {
        _options = options.GrpcRateLimit;
        _limiter = PartitionedRateLimiter.Create<string, string>(peer => RateLimitPartition.GetTokenBucketLimiter(peer, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.Burst,
            TokensPerPeriod = _options.Qps,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Admit(ServerCallContext context)
    {
        var peer = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? context.Peer;
        using var lease = _limiter.AttemptAcquire(peer);
        if (!lease.IsAcquired)
            throw ApiErrors.ResourceExhausted($"rate limit: at most {_options.Qps} calls per second (burst {_options.Burst}) per caller address; retry later");
    }

    public void Dispose() => _limiter.Dispose();
}
