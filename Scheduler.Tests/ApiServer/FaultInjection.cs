namespace Quorum.Tests.ApiServer;

/// <summary>A binding the scheduler asked for: which pod, which node.</summary>
public sealed record BindAttempt(string Namespace, string Pod, string Node);

/// <summary>
/// Failures a test can arrange. Each answers with the Status the real server would send for that code
/// (500 InternalError, 503 ServiceUnavailable, 429 TooManyRequests with Retry-After, 504 Timeout, ...).
/// A bind failure can also be "after commit": the binding is written and the response still fails, as
/// when the API server times out after etcd accepted the write — the client cannot tell the two apart.
/// </summary>
public sealed class FaultInjection
{
    private sealed record Rule(Func<ApiRequest, bool> Match, int StatusCode, string Message)
    {
        public int Remaining { get; set; }
    }

    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private int _bindFailures;
    private int _bindStatus = 500;
    private bool _bindAfterCommit;

    /// <summary>Decides per bind attempt: a status code to fail with, or null to let it through.</summary>
    public Func<BindAttempt, int?>? BindFailure { get; set; }

    /// <summary>The next <paramref name="count"/> matching requests fail with <paramref name="statusCode"/>.</summary>
    public void FailNext(Func<ApiRequest, bool> match, int count, int statusCode = 500, string message = "injected fault")
    {
        lock (_gate) _rules.Add(new Rule(match, statusCode, message) { Remaining = count });
    }

    /// <summary>The next <paramref name="count"/> bindings fail; with <paramref name="afterCommit"/> they are applied first.</summary>
    public void FailNextBinds(int count, int statusCode = 500, bool afterCommit = false)
    {
        lock (_gate)
        {
            _bindFailures = count;
            _bindStatus = statusCode;
            _bindAfterCommit = afterCommit;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _bindFailures = 0;
            BindFailure = null;
        }
    }

    internal ApiException? ForRequest(ApiRequest request)
    {
        lock (_gate)
        {
            var rule = _rules.FirstOrDefault(r => r.Remaining > 0 && r.Match(request));
            if (rule is null) return null;
            rule.Remaining--;
            return StatusResponses.ForCode(rule.StatusCode, rule.Message);
        }
    }

    /// <summary>The failure for this bind, if any, and whether to apply the binding before failing.</summary>
    internal (ApiException? Error, bool AfterCommit) ForBind(BindAttempt attempt)
    {
        lock (_gate)
        {
            if (_bindFailures > 0)
            {
                _bindFailures--;
                return (BindError(_bindStatus), _bindAfterCommit);
            }
        }
        return BindFailure?.Invoke(attempt) is { } code ? (BindError(code), false) : (null, false);
    }

    private static ApiException BindError(int code) => code == 504
        ? StatusResponses.ForCode(504, "Timeout: request did not complete within requested timeout - context deadline exceeded")
        : StatusResponses.ForCode(code, "injected bind failure");
}
