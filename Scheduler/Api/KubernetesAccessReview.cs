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
/// system:auth-delegator ClusterRole (create tokenreviews and subjectaccessreviews). With
/// <paramref name="audiences"/>, a token is accepted only when the API server says it was made for one
/// of them (as the API server's own webhook token authenticator checks status.audiences).
/// </summary>
public sealed class KubernetesAccessReview(IKubernetes client, TimeProvider time, TimeSpan ttl, IReadOnlyList<string>? audiences = null)
{
    private const int MaxEntries = 10_000;

    private readonly IReadOnlyList<string> _audiences = audiences ?? [];
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, ApiCaller? Caller, string Error)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<DecisionKey, (DateTimeOffset Until, bool Allowed, string Reason)> _decisions = new();

    /// <summary>The token's user, or null with the reason it was not accepted.</summary>
    /// <exception cref="k8s.Autorest.HttpOperationException">The API server refused the review itself.</exception>
    public async Task<(ApiCaller? Caller, string Error)> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        // Tokens are secrets: the cache holds their hash only.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = time.GetUtcNow();
        if (_tokens.TryGetValue(key, out var hit) && hit.Until > now) return (hit.Caller, hit.Error);

        var review = await client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview
            {
                ApiVersion = "authentication.k8s.io/v1",
                Kind = "TokenReview",
                Spec = new V1TokenReviewSpec { Token = token, Audiences = _audiences.Count == 0 ? null : [.. _audiences] },
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var status = review.Status;
        ApiCaller? caller = null;
        var error = status?.Error ?? "";
        if (status is { Authenticated: true } && _audiences.Count > 0 && !(status.Audiences ?? []).Intersect(_audiences, StringComparer.Ordinal).Any())
        {
            error = $"the token is not meant for audience {string.Join(", ", _audiences)}";
        }
        else if (status is { Authenticated: true, User: { } user })
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
        var key = new DecisionKey(caller, attributes);
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

    private void Remember<TKey, T>(ConcurrentDictionary<TKey, (DateTimeOffset Until, T A, string B)> cache, TKey key, (DateTimeOffset, T, string) value)
        where TKey : notnull
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

/// <summary>
/// What a cached access decision holds for: everything a SubjectAccessReview sends. Groups are a set
/// (sorted), extra is keyed by name (sorted) with each value list in order; compared field by field,
/// so no two different callers or questions can share a key.
/// </summary>
internal sealed class DecisionKey : IEquatable<DecisionKey>
{
    private readonly string _user;
    private readonly string _uid;
    private readonly string[] _groups;
    private readonly (string Key, string[] Values)[] _extra;
    private readonly AccessAttributes _attributes;
    private readonly int _hash;

    public DecisionKey(ApiCaller caller, AccessAttributes attributes)
    {
        _user = caller.User;
        _uid = caller.Uid;
        _groups = [.. caller.Groups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        _extra = [.. caller.Extra.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value.ToArray()))];
        _attributes = attributes;
        var hash = new HashCode();
        hash.Add(_user, StringComparer.Ordinal);
        hash.Add(_uid, StringComparer.Ordinal);
        foreach (var g in _groups) hash.Add(g, StringComparer.Ordinal);
        hash.Add(_groups.Length);
        foreach (var (k, values) in _extra)
        {
            hash.Add(k, StringComparer.Ordinal);
            foreach (var v in values) hash.Add(v, StringComparer.Ordinal);
            hash.Add(values.Length);
        }
        hash.Add(_extra.Length);
        hash.Add(_attributes);
        _hash = hash.ToHashCode();
    }

    public bool Equals(DecisionKey? other) =>
        other is not null && _hash == other._hash
        && string.Equals(_user, other._user, StringComparison.Ordinal)
        && string.Equals(_uid, other._uid, StringComparison.Ordinal)
        && _groups.AsSpan().SequenceEqual(other._groups)
        && _extra.Length == other._extra.Length
        && _extra.Zip(other._extra).All(p => string.Equals(p.First.Key, p.Second.Key, StringComparison.Ordinal) && p.First.Values.AsSpan().SequenceEqual(p.Second.Values))
        && _attributes == other._attributes;

    public override bool Equals(object? obj) => Equals(obj as DecisionKey);

    public override int GetHashCode() => _hash;
}
