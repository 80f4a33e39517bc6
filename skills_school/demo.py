"""Demo data for the Urban Data School (part of ``flask civic seed-demo``): a handful of courses across the five
topics by the demo instructor, published by the demo officer, with lessons, a quiz, and sessions in libraries
across the wards, one nearly full with a waitlist. Idempotent: a course is only made when no course of that
title exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.accounts.models import User
from civic.db import db, utcnow
from civic.spaces.models import Ward
from skills_school.demo_data import COURSES, LEARNERS, LIBRARIES
from skills_school.models import Booking, Choice, Course, CourseSession, Enrolment, Lesson, Question, Quiz


def _learners() -> list[User]:
    people = []
    for n, name in enumerate(LEARNERS, start=1):
        nickname = f"learner_{n}_demo"
        user = db.session.scalar(select(User).where(User.nickname == nickname))
        if user is None:
            user = User(nickname=nickname, display_name=name, email=None, email_confirmed_at=utcnow())
            db.session.add(user)
        people.append(user)
    db.session.flush()
    return people


def seed() -> None:
    instructor = db.session.scalar(select(User).where(User.nickname == "demo_instructor"))
    officer = db.session.scalar(select(User).where(User.nickname == "demo_officer"))
    if instructor is None:
        return
    wards = {w.name: w for w in db.session.scalars(select(Ward))}
    learners = _learners()
    now = utcnow()
    for (title, topic, level, audience, minutes, summary, access, lessons, session, quiz) in COURSES:
        if db.session.scalar(select(Course.id).where(Course.title == title)) is not None:
            continue
        course = Course(instructor_id=instructor.id, title=title, summary=summary, topic=topic, level=level,
                        audience=audience, duration_minutes=minutes, accessibility=access, state="published",
                        published_at=now, published_by_id=officer.id if officer else None, submitted_at=now)
        db.session.add(course)
        db.session.flush()
        rows = [Lesson(course_id=course.id, position=i, title=t, minutes=m, body=b)
                for i, (t, m, b) in enumerate(lessons, start=1)]
        db.session.add_all(rows)
        db.session.flush()
        if quiz:
            q = Quiz(lesson_id=rows[0].id, course_id=course.id, pass_mark=100, retry_minutes=5)
            db.session.add(q)
            db.session.flush()
            for position, (text, kind, answers) in enumerate(quiz, start=1):
                db.session.add(Question(quiz_id=q.id, position=position, text=text, kind=kind,
                                        choices=[Choice(text=a, correct=c, feedback=f) for a, c, f in answers]))
        if session:
            library, days, places, booked = session
            ward, venue = LIBRARIES[library]
            starts = (now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
            s = CourseSession(course_id=course.id, title=f"{title} at {venue.split(',')[0]}", venue=venue,
                              ward_id=wards[ward].id, starts_at=starts, ends_at=starts + timedelta(hours=2),
                              capacity=places, accessibility=access)
            db.session.add(s)
            db.session.flush()
            waiting = 3 if booked >= places else 0
            people = learners[:booked + waiting]
            for seq, person in enumerate(people, start=1):
                db.session.add(Enrolment(course_id=course.id, user_id=person.id))
                db.session.add(Booking(session_id=s.id, user_id=person.id, seq=seq,
                                       status="booked" if seq <= min(booked, places) else "waiting"))
            s.places_taken, s.queue_seq = min(booked, places), len(people)
        db.session.flush()
