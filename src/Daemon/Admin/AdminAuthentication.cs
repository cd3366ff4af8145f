using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Admin;

/// <summary>
/// The admin port's control routes require `Authorization: Bearer &lt;Admin:Token&gt;`, through ASP.NET Core's
/// authentication and authorization: one scheme, one policy that the control routes name.
/// </summary>
public static class AdminAuthentication
{
    public const string Scheme = "AdminToken";
    public const string ControlPolicy = "AdminControl";

    public static IServiceCollection AddAdminAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AdminTokenHandler>(Scheme, configureOptions: null);
        services.AddAuthorizationBuilder().AddPolicy(ControlPolicy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>Authentication before authorization, both after routing so the policy is read from the endpoint.</summary>
    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app) => app.UseAuthentication().UseAuthorization();
}

/// <summary>
/// Accepts the configured bearer token, compared in constant time. Without a configured token no caller is
/// accepted, unless Admin:AllowUnauthenticatedLoopback is set for a loopback-only port and the caller is local.
/// A refused caller gets 401 with `WWW-Authenticate: Bearer`, or 403 when no token is configured (none could help).
/// </summary>
public sealed class AdminTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> schemes, ILoggerFactory loggers, UrlEncoder encoder, AdminOptions admin)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemes, loggers, encoder)
{
    private const string BearerPrefix = "Bearer ";

    // Trimmed: a token read from a secret file usually ends with a newline that no client sends.
    private readonly byte[] _token = Encoding.UTF8.GetBytes(admin.Token.Trim());

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (_token.Length == 0)
        {
            bool local = Context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
            return Task.FromResult(admin.AllowUnauthenticatedLoopback && admin.BindsLoopbackOnly && local && IsFromThisMachinesOwnPage(Request)
                ? Success("loopback")
                : AuthenticateResult.NoResult());
        }

        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        bool valid = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..].Trim()), _token);
        return Task.FromResult(valid ? Success("token") : AuthenticateResult.Fail("The bearer token does not match Admin:Token."));
    }

    /// <summary>
    /// A loopback connection is not proof of a local operator: any web page in the operator's browser can send one.
    /// Refused: another site's page (Origin of another host, Sec-Fetch-Site cross-site or same-site) and a Host
    /// header that is not a loopback name (DNS rebinding: attacker.example resolving to 127.0.0.1).
    /// </summary>
    private static bool IsFromThisMachinesOwnPage(HttpRequest request)
    {
        if (!IsLoopbackName(request.Host.Host)) return false;
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite is "cross-site" or "same-site") return false;
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsLoopbackName(uri.Host) && uri.Port == request.Host.Port);
    }

    private static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_token.Length == 0)
            return Results.Problem("No Admin:Token is configured, so control routes are disabled.", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context);
        Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem("A valid bearer token is required.", statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    private AuthenticateResult Success(string how) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, $"admin ({how})")], Scheme.Name)), Scheme.Name));
}
