using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Quorum.Api;

/// <summary>
/// Delegated authentication and authorization, as kube-rbac-proxy and the API server's webhook
/// authenticator do: a bearer token is checked with a TokenReview, the caller's right with a
/// SubjectAccessReview, and both answers are reused for <c>grpcAuthentication.cacheTtl</c> so a
/// chatty client costs the API server one review per TTL. Quorum's ServiceAccount needs the
/// system:auth-delegator ClusterRole (create tokenreviews and subjectaccessreviews).
/// </summary>
public sealed class KubernetesAccessReview(IKubernetes client, TimeProvider time, TimeSpan ttl)
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, ApiCaller? Caller, string Error)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, bool Allowed, string Reason)> _decisions = new(StringComparer.Ordinal);

    /// <summary>The token's user, or null with the reason it was not accepted.</summary>
    /// <exception cref="k8s.Autorest.HttpOperationException">The API server refused the review itself.</exception>
    public async Task<(ApiCaller? Caller, string Error)> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        // Tokens are secrets: the cache holds their hash only.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = time.GetUtcNow();
        if (_tokens.TryGetValue(key, out var hit) && hit.Until > now) return (hit.Caller, hit.Error);

        var review = await client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { ApiVersion = "authentication.k8s.io/v1", Kind = "TokenReview", Spec = new V1TokenReviewSpec { Token = token } },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var status = review.Status;
        ApiCaller? caller = null;
        var error = status?.Error ?? "";
        if (status is { Authenticated: true, User: { } user })
        {
            caller = new ApiCaller(user.Username ?? "", [.. user.Groups ?? []], user.Uid ?? "",
                (user.Extra ?? new Dictionary<string, IList<string>>()).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value]));
        }
        else if (error.Length == 0)
        {
            error = "the token was not accepted";
        }
        Remember(_tokens, key, (now + ttl, caller, error));
        return (caller, error);
    }

    /// <summary>Whether the caller may do what <paramref name="attributes"/> say, and the authorizer's reason.</summary>
    public async Task<(bool Allowed, string Reason)> AuthorizeAsync(ApiCaller caller, AccessAttributes attributes, CancellationToken cancellationToken)
    {
        var key = $"{caller.User}\n{caller.Uid}\n{string.Join(',', caller.Groups)}\n{attributes}";
        var now = time.GetUtcNow();
        if (_decisions.TryGetValue(key, out var hit) && hit.Until > now) return (hit.Allowed, hit.Reason);

        var review = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Spec = new V1SubjectAccessReviewSpec
            {
                User = caller.User,
                Groups = [.. caller.Groups],
                Uid = caller.Uid.Length == 0 ? null : caller.Uid,
                Extra = caller.Extra.Count == 0 ? null : caller.Extra.ToDictionary(kv => kv.Key, kv => (IList<string>)[.. kv.Value]),
                ResourceAttributes = new V1ResourceAttributes
                {
                    Verb = attributes.Verb,
                    Group = attributes.Group,
                    Resource = attributes.Resource,
                    NamespaceProperty = attributes.Namespace,
                    Name = attributes.Name,
                },
            },
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var allowed = review.Status is { Allowed: true, Denied: not true };
        var reason = review.Status?.Reason ?? review.Status?.EvaluationError ?? "";
        Remember(_decisions, key, (now + ttl, allowed, reason));
        return (allowed, reason);
    }

    private void Remember<T>(ConcurrentDictionary<string, (DateTimeOffset Until, T A, string B)> cache, string key, (DateTimeOffset, T, string) value)
    {
        // Bounded: a flood of distinct tokens must not grow memory; expired entries go first, else all.
        if (cache.Count >= MaxEntries)
        {
            var now = time.GetUtcNow();
            foreach (var stale in cache.Where(kv => kv.Value.Until <= now).Select(kv => kv.Key).ToList()) cache.TryRemove(stale, out _);
            if (cache.Count >= MaxEntries) cache.Clear();
        }
        cache[key] = value;
    }
}
