using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// A user a test token stands for, as TokenReview's status.user reports it. <paramref name="Audiences"/>:
/// the token's audiences (null: the API server's own, as a ServiceAccount token without --audience).
/// </summary>
public sealed record ReviewUser(string Username, IReadOnlyList<string> Groups, string Uid = "",
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null, IReadOnlyList<string>? Audiences = null);

/// <summary>What a SubjectAccessReview asks: may this user (with these groups and extra) do this verb on this resource.</summary>
public sealed record SubjectAccess(string User, IReadOnlyList<string> Groups, string Verb, string Group, string Resource, string? Namespace, string? Name)
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// authentication.k8s.io/v1 TokenReview and authorization.k8s.io/v1 SubjectAccessReview, as the real
/// API server serves them for delegated authentication (kube-rbac-proxy, aggregated servers): create
/// only, never stored, answered 201 with the review and its status filled in. Tokens come from
/// <see cref="KubeApiStandInOptions.Tokens"/>; decisions from <see cref="KubeApiStandInOptions.Authorize"/>,
/// which denies everything when unset, as RBAC does with no binding.
/// </summary>
internal sealed partial class ApiHandlers
{
    private const string TokenReviews = "/apis/authentication.k8s.io/v1/tokenreviews";
    private const string SubjectAccessReviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

    /// <summary>The audience of tokens and reviews that name none (kube-apiserver's --api-audiences default).</summary>
    public const string ApiServerAudience = "https://kubernetes.default.svc.cluster.local";

    /// <summary>Answers a review POST; false when the path is not one.</summary>
    private async Task<bool> TryReviewAsync(HttpContext ctx, string path, ApiContext api)
    {
        var trimmed = path.TrimEnd('/');
        if (trimmed is not (TokenReviews or SubjectAccessReviews)) return false;
        if (ctx.Request.Method != "POST") throw StatusResponses.MethodNotAllowed();
        var review = await ReadObjectAsync(ctx).ConfigureAwait(false);
        var spec = review["spec"] as JsonObject ?? new JsonObject();
        review.Remove("status");
        review["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        review["status"] = trimmed == TokenReviews ? ReviewToken(spec) : ReviewAccess(spec);
        await WriteJson(ctx, 201, review, api).ConfigureAwait(false);
        return true;
    }

    private JsonObject ReviewToken(JsonObject spec)
    {
        var token = JsonObjects.Str(spec["token"]);
        if (string.IsNullOrEmpty(token))
            throw StatusResponses.Invalid("TokenReview.authentication.k8s.io", "", "authentication.k8s.io", [FieldError.Required("spec.token")]);
        if (!options.Tokens.TryGetValue(token, out var user)) return new JsonObject { ["user"] = new JsonObject() };
        // As the API server: the token must be meant for one of the audiences asked (its own when none
        // are), and status.audiences is the intersection.
        var asked = (spec["audiences"] as JsonArray ?? []).Select(a => JsonObjects.Str(a) ?? "").ToList();
        if (asked.Count == 0) asked = [ApiServerAudience];
        var tokenAudiences = user.Audiences ?? [ApiServerAudience];
        var audiences = asked.Intersect(tokenAudiences, StringComparer.Ordinal).ToList();
        if (audiences.Count == 0)
        {
            return new JsonObject
            {
                ["user"] = new JsonObject(),
                ["error"] = $"[invalid bearer token, token audiences [{string.Join(' ', tokenAudiences)}] is invalid for the target audiences [{string.Join(' ', asked)}]]",
            };
        }
        var u = new JsonObject { ["username"] = user.Username };
        if (user.Uid.Length > 0) u["uid"] = user.Uid;
        if (user.Groups.Count > 0) u["groups"] = Strings(user.Groups);
        if (user.Extra is { Count: > 0 } extra) u["extra"] = new JsonObject(extra.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Strings(kv.Value))));
        return new JsonObject { ["authenticated"] = true, ["user"] = u, ["audiences"] = Strings(audiences) };
    }

    private JsonObject ReviewAccess(JsonObject spec)
    {
        var user = JsonObjects.Str(spec["user"]) ?? "";
        var groups = (spec["groups"] as JsonArray ?? []).Select(g => JsonObjects.Str(g) ?? "").ToList();
        var resource = spec["resourceAttributes"] as JsonObject;
        var errors = new List<FieldError>();
        if (resource is null && spec["nonResourceAttributes"] is null)
            errors.Add(FieldError.Required("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        if (user.Length == 0 && groups.Count == 0) errors.Add(FieldError.Invalid("spec.user", "", "at least one of user or group must be specified"));
        if (errors.Count > 0) throw StatusResponses.Invalid("SubjectAccessReview.authorization.k8s.io", "", "authorization.k8s.io", errors);
        if (resource is null) return new JsonObject { ["allowed"] = false };
        var access = new SubjectAccess(user, groups, JsonObjects.Str(resource["verb"]) ?? "", JsonObjects.Str(resource["group"]) ?? "",
            JsonObjects.Str(resource["resource"]) ?? "", NullIfEmpty(JsonObjects.Str(resource["namespace"])), NullIfEmpty(JsonObjects.Str(resource["name"])));
        if (spec["extra"] is JsonObject extra)
            access = access with { Extra = extra.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. (kv.Value as JsonArray ?? []).Select(v => JsonObjects.Str(v) ?? "")]) };
        return options.Authorize?.Invoke(access) == true
            ? new JsonObject { ["allowed"] = true, ["reason"] = "allowed by the test's authorizer" }
            : new JsonObject { ["allowed"] = false };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
