#!/usr/bin/python3
"""SMTP receiver for the notification tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 at a free port, prints "smtp://127.0.0.1:<port>/" once ready, then one JSON
line per received message: {"from", "to", "tls", "auth", "data"}.
Options: --tls CERT KEY (offer STARTTLS and require it), --auth USER PASSWORD (require login).
"""
import asyncio
import json
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth": session.authenticated,
            "data": envelope.content.decode("utf-8", "replace"),
        }), flush=True)
        return "250 OK"


def main():
    args = sys.argv[1:]
    tls_context = None
    credentials = None
    while args:
        if args[0] == "--tls":
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_context.load_cert_chain(args[1], args[2])
            args = args[3:]
        elif args[0] == "--auth":
            credentials = (args[1], args[2])
            args = args[3:]
        else:
            sys.exit("unknown option " + args[0])

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (credentials is not None and auth_data.login.decode() == credentials[0]
              and auth_data.password.decode() == credentials[1])
        # handled=False: aiosmtpd answers 535 itself (otherwise it answers nothing).
        return AuthResult(success=ok, handled=False)

    def factory():
        return SMTP(Handler(), hostname="btms-test", tls_context=tls_context,
                    require_starttls=tls_context is not None,
                    auth_required=credentials is not None, auth_require_tls=False,
                    authenticator=authenticator if credentials else None)

    async def serve():
        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        print(f"smtp://127.0.0.1:{port}/", flush=True)
        await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
