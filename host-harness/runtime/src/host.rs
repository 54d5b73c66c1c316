//! The host side of the component's imports: the per-store state, the
//! `http` import over [`HttpClient`], and the `transport` import over
//! [`Transports`], each call counted against the session's [`CallMeter`].

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{http as wit_http, transport as wit_transport, types as wit};
use crate::http_client::{HttpClient, HttpRequest};
use crate::limits::CallMeter;
use crate::transport::{MailConnection, Security, TransportError, Transports};

/// The per-store state the imports see.
pub(crate) struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: Arc<HttpClient>,
    /// `None`: this operation may open no mail connection.
    pub(crate) transports: Option<Arc<Transports>>,
    pub(crate) meter: CallMeter,
}

impl HostState {
    /// Runs an import's host side, counting its time as host time.
    fn timed<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let t = Instant::now();
        let r = f(self);
        self.meter.add_host_time(t.elapsed());
        r
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wit_http::Host for HostState {
    fn send(
        &mut self,
        req: wit_http::Request,
    ) -> wasmtime::Result<Result<wit_http::Response, wit_http::HttpError>> {
        let size = req.url.len()
            + req.method.len()
            + req.body.len()
            + req
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>();
        self.meter.charge(size)?;
        let request = HttpRequest::from(req);
        let http = self.http.clone();
        let result = self.timed(|_| http.send(request));
        if let Ok(resp) = &result {
            let size = resp.body.len()
                + resp
                    .headers
                    .iter()
                    .map(|(n, v)| n.len() + v.len())
                    .sum::<usize>();
            self.meter.charge(size)?;
        }
        Ok(result.map(Into::into).map_err(Into::into))
    }
}

impl wit::Host for HostState {}

impl wit_transport::Host for HostState {
    fn connect(
        &mut self,
        host: String,
        port: u16,
        security: wit_transport::Security,
    ) -> wasmtime::Result<Result<Resource<MailConnection>, wit_transport::TransportError>> {
        self.meter.charge(host.len())?;
        let Some(transports) = self.transports.clone() else {
            return Ok(Err(wit_transport::TransportError::Denied(format!(
                "{host}:{port}: this operation may open no mail connection"
            ))));
        };
        let security = Security::from(security);
        let deadline = self.meter.deadline();
        let conn =
            match self.timed(|_| transports.connect_until(&host, port, security, Some(deadline))) {
                Ok(conn) => conn,
                Err(e) => return Ok(Err(e.into())),
            };
        Ok(self
            .table
            .push(conn)
            .map_err(|e| wit_transport::TransportError::Other(e.to_string())))
    }
}

impl wit_transport::HostConnection for HostState {
    fn read_line(
        &mut self,
        conn: Resource<MailConnection>,
        max_len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, wit_transport::TransportError>> {
        let r = self.with_connection(&conn, |c| c.read_line(max_len));
        if let Ok(line) = &r {
            self.meter.charge(line.len())?;
        }
        Ok(r)
    }

    fn read_exact(
        &mut self,
        conn: Resource<MailConnection>,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, wit_transport::TransportError>> {
        let r = self.with_connection(&conn, |c| c.read_exact(len));
        if let Ok(data) = &r {
            self.meter.charge(data.len())?;
        }
        Ok(r)
    }

    fn write(
        &mut self,
        conn: Resource<MailConnection>,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wit_transport::TransportError>> {
        self.meter.charge(data.len())?;
        Ok(self.with_connection(&conn, |c| c.write(&data)))
    }

    fn upgrade_tls(
        &mut self,
        conn: Resource<MailConnection>,
    ) -> wasmtime::Result<Result<(), wit_transport::TransportError>> {
        Ok(self.with_connection(&conn, |c| c.upgrade_tls()))
    }

    fn drop(&mut self, conn: Resource<MailConnection>) -> wasmtime::Result<()> {
        // Dropping the connection closes the socket and frees its slot.
        self.table.delete(conn)?;
        Ok(())
    }
}

impl HostState {
    /// Runs `f` on the connection behind `conn`, as host time.
    pub(crate) fn with_connection<R>(
        &mut self,
        conn: &Resource<MailConnection>,
        f: impl FnOnce(&mut MailConnection) -> Result<R, TransportError>,
    ) -> Result<R, wit_transport::TransportError> {
        // The call's deadline, not the connection's: a store may serve
        // several calls, each with its own.
        let deadline = self.meter.deadline();
        self.timed(|s| {
            let c = s
                .table
                .get_mut(conn)
                .map_err(|e| wit_transport::TransportError::Other(e.to_string()))?;
            c.set_deadline(Some(deadline));
            f(c).map_err(Into::into)
        })
    }
}
