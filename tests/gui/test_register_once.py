"""One person, one record: Register pressed twice while the first is on its way, or pressed
again after the shared database saved it but the answer never came back (a network drop)."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ffmot.services import records as R
from tests.helpers import raw_sqlite


def fill_new_person(ci, qtbot, given="Sian", family="Obrien", dob="03/02/1950"):  # type: ignore[no-untyped-def]
    ci.start_new()
    qtbot.keyClicks(ci.given, given)
    qtbot.keyClicks(ci.family, family)
    qtbot.keyClicks(ci.dob, dob)
    ci.sex.setCurrentIndex(ci.sex.findData("female"))
    ci.new_consents["keep_results"].setChecked(True)


def test_enter_pressed_twice_while_registering_makes_one_record(settings, tmp_path, qtbot):
    from ffmot.gui.app import Controller
    from ffmot.gui.tasks import ThreadRunner

    path = tmp_path / "ffmot.db"
    runner = ThreadRunner(QApplication.instance())
    s = Controller(settings, runner, db_url=str(path)).open()
    s.window.show()
    jobs: list[int] = []
    runner.busy_changed.connect(jobs.append)
    try:
        # open, and everything the views load as it opens finished
        qtbot.waitUntil(lambda: s.ctx.is_ready and bool(jobs) and jobs[-1] == 0, timeout=20000)
        s.window.show_view("check-in")
        ci = s.window.checkin
        fill_new_person(ci, qtbot)
        qtbot.waitUntil(lambda: jobs[-1] == 0, timeout=20000)  # the view's own loading done
        # Another station is writing: this registration waits for the database.
        blocker = raw_sqlite(path, isolation_level=None, timeout=30)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            qtbot.keyClick(ci.dob, Qt.Key.Key_Return)
            qtbot.keyClick(ci.dob, Qt.Key.Key_Return)  # impatient: Enter again, and a click
            qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
            assert jobs[-1] == 1, f"{jobs[-1]} registrations sent for one person"
            assert not ci.register_button.isEnabled()  # on its way: Register waits
            assert "Registering" in ci.new_message.text()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        qtbot.waitUntil(lambda: ci.person is not None, timeout=20000)
        qtbot.waitUntil(lambda: jobs[-1] == 0, timeout=20000)
        assert ci.person.name == "Sian Obrien" and ci.register_button.isEnabled()
        assert [r.name for r in R.search_participants(s.ctx.db, "obrien")] == ["Sian Obrien"]
    finally:
        runner.wait()
        s.window.close()
        if s.ctx.is_ready:
            s.ctx.db.close()


class CommitReplyLost:
    """A real TCP relay between ffmot and the PostgreSQL server. Once armed, the next COMMIT of
    a transaction that added a participant reaches the server and is carried out, but its
    answer is never passed back: both connections are cut, as when a hall's network drops at
    the wrong moment. ffmot cannot know whether that registration was saved."""

    def __init__(self, port: int, pg=None) -> None:  # type: ignore[no-untyped-def]
        self.target = ("127.0.0.1", port)
        # The shared database speaks only TLS: the relay ends ffmot's TLS with the server's own
        # test certificate and opens its own to the server, so it can see the COMMIT.
        self.tls = pg is not None
        if self.tls:
            self.as_server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.as_server.load_cert_chain(pg.folder / "data" / "server.crt",
                                           pg.folder / "data" / "server.key")  # fmt: skip
            self.as_client = ssl.create_default_context(cafile=str(pg.ca_cert))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.cut = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            if self.tls:
                client, server = self._start_tls(client, server)
            self._sockets += [client, server]
            state = {"wrote": False, "cutting": False}
            threading.Thread(target=self._up, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, state), daemon=True).start()

    def _start_tls(self, client: socket.socket, server: socket.socket) -> tuple:
        """PostgreSQL's SSLRequest (8 bytes) answered with 'S' on each side, then TLS."""
        request = client.recv(8)
        client.sendall(b"S")
        server.sendall(request)
        assert server.recv(1) == b"S"
        return (
            self.as_server.wrap_socket(client, server_side=True),
            self.as_client.wrap_socket(server, server_hostname=self.target[0]),
        )

    # Each socket is closed only by the thread that reads it, once its reading has ended; the
    # other thread and close() only shut it down (which ends that reading). Closing a socket
    # another thread is still reading frees its descriptor number for the next connection
    # opened (the test's own, to drop its database), whose answer that thread would then read.

    def _up(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        with contextlib.suppress(OSError):
            self._relay_up(client, server, state)
        self._end(server)
        client.close()

    def _relay_up(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if b"INSERT INTO participant " in data:
                    state["wrote"] = True
                if b"COMMIT" in data and state["wrote"] and self.armed.is_set():
                    self.armed.clear()
                    state["cutting"] = True
                state["wrote"] = state["wrote"] and b"COMMIT" not in data
                server.sendall(data)

    def _down(self, server: socket.socket, client: socket.socket, state: dict) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if state["cutting"]:  # the server has committed: its answer goes nowhere
                    self.cut.set()
                    break
                client.sendall(data)
        self._end(client)
        self._end(server)
        server.close()

    @staticmethod
    def _end(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Ends every relayed connection; the threads reading them close them."""
        self._end(self.listener)  # wakes the accepting thread before the number is freed
        self.listener.close()
        for sock in self._sockets:
            self._end(sock)


def test_register_again_after_a_lost_answer_gives_the_same_person(
    open_app, qtbot, pg_url, pg_server
):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    relay = CommitReplyLost(url.port or 5432, pg_server)
    try:
        s = open_app(url.set(port=relay.port).render_as_string(hide_password=False))
        ci = s.window.checkin
        s.window.show_view("check-in")
        fill_new_person(ci, qtbot)
        relay.armed.set()
        qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)
        assert relay.cut.is_set()  # saved on the server, the answer lost on the way back
        said = ci.new_message.text()
        assert ci.person is None and "reach" in said  # and nothing says it is saved
        assert ci.register_button.isEnabled() and ci.given.text() == "Sian"  # still there
        qtbot.mouseClick(ci.register_button, Qt.MouseButton.LeftButton)  # the link is back
        assert ci.person is not None and ci.person.name == "Sian Obrien", ci.new_message.text()
        found = R.search_participants(s.ctx.db, "obrien")
        assert [r.id for r in found] == [ci.person.id]  # one record, the one shown
        assert R.get_participant(s.ctx.db, ci.person.id).consented("keep_results")
        assert "may or may not have been saved" in said and "not be registered twice" in said
    finally:
        relay.close()


def test_the_same_registration_sent_twice_is_one_person(tmp_path):
    from ffmot.core.errors import InputError
    from ffmot.services.types import Actor
    from ffmot.store.db import connect

    db = connect(str(tmp_path / "ffmot.db"))
    actor = Actor("Sam Tester", "Station 1")
    token = "5b0c2f0e-3a51-4d5e-9d57-1f8e2b1c0a11"
    args = ("Sian", "Obrien", dt.date(1950, 2, 3), "female")
    first = R.register_participant(db, actor, *args, participant_id=token)
    again = R.register_participant(db, actor, *args, participant_id=token)
    assert first.id == again.id == token and first.code == again.code
    assert len(R.search_participants(db, "obrien")) == 1
    try:  # never someone else under the same registration
        R.register_participant(
            db, actor, "Bert", "Demoworth", dt.date(1944, 1, 2), "male", participant_id=token
        )
    except InputError as e:
        assert "already saved with other details" in str(e)
    else:
        raise AssertionError("a different person was taken for the same registration")
    assert R.search_participants(db, "demoworth") == []
    db.close()
