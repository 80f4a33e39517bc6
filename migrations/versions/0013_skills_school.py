"""The Urban Data School: courses, lessons, enrolments and progress, quizzes and attempts, in-person sessions with
bookings and waitlists, and certificates (skills_school/models.py).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05

Generated with autogenerate, then read.
"""

import sqlalchemy as sa
from alembic import op

import civic.db

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('school_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instructor_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=40), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=False),
    sa.Column('prerequisites', sa.Text(), nullable=False),
    sa.Column('cover_path', sa.String(length=200), nullable=True),
    sa.Column('cover_alt', sa.String(length=300), nullable=False),
    sa.Column('requires_attendance', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('comments_count', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("audience IN ('young-people', 'adults', 'older-residents', 'council-staff', 'everyone')", name=op.f('ck_school_courses_known_audience')),
    sa.CheckConstraint("level IN ('beginner', 'intermediate', 'advanced')", name=op.f('ck_school_courses_known_level')),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'published')", name=op.f('ck_school_courses_known_state')),
    sa.CheckConstraint("topic IN ('digital-skills', 'data', 'coding', 'robotics', 'online-safety')", name=op.f('ck_school_courses_known_topic')),
    sa.CheckConstraint('duration_minutes >= 0', name=op.f('ck_school_courses_duration_not_negative')),
    sa.ForeignKeyConstraint(['instructor_id'], ['users.id'], name=op.f('fk_school_courses_instructor_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_school_courses_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_courses'))
    )
    with op.batch_alter_table('school_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_courses_instructor_id'), ['instructor_id'], unique=False)
        batch_op.create_index('ix_school_courses_state_published', ['state', 'published_at'], unique=False)

    op.create_table('school_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('issued_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=500), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_certificates_course_id_school_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_school_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_school_certificates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_school_certificates_code')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_school_certificates_course_id_user_id'))
    )
    with op.batch_alter_table('school_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_certificates_user_id'), ['user_id'], unique=False)

    op.create_table('school_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('minutes >= 0', name=op.f('ck_school_lessons_minutes_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_lessons_course_id_school_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_lessons'))
    )
    with op.batch_alter_table('school_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_lessons_course_id'), ['course_id'], unique=False)

    op.create_table('school_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('places_taken', sa.Integer(), nullable=False),
    sa.Column('queue_seq', sa.Integer(), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_school_sessions_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_school_sessions_ends_after_start')),
    sa.CheckConstraint('places_taken >= 0 AND places_taken <= capacity', name=op.f('ck_school_sessions_places_within_capacity')),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_sessions_course_id_school_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_school_sessions_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_sessions'))
    )
    with op.batch_alter_table('school_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_school_sessions_course_starts', ['course_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_sessions_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_sessions_ward_id'), ['ward_id'], unique=False)

    op.create_table('school_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('offer_expires_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.CheckConstraint("status IN ('booked', 'waiting', 'offered', 'cancelled', 'expired')", name=op.f('ck_school_bookings_known_status')),
    sa.ForeignKeyConstraint(['session_id'], ['school_sessions.id'], name=op.f('fk_school_bookings_session_id_school_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_school_bookings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_bookings')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_school_bookings_session_id_user_id'))
    )
    with op.batch_alter_table('school_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_bookings_offer_expires_at'), ['offer_expires_at'], unique=False)
        batch_op.create_index('ix_school_bookings_session_status_seq', ['session_id', 'status', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_bookings_user_id'), ['user_id'], unique=False)

    op.create_table('school_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_lesson_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', civic.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_enrolments_course_id_school_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_lesson_id'], ['school_lessons.id'], name=op.f('fk_school_enrolments_last_lesson_id_school_lessons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_school_enrolments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_enrolments')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_school_enrolments_course_id_user_id'))
    )
    with op.batch_alter_table('school_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_enrolments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_enrolments_user_id'), ['user_id'], unique=False)

    op.create_table('school_lesson_done',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('done_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_lesson_done_course_id_school_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['school_lessons.id'], name=op.f('fk_school_lesson_done_lesson_id_school_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_school_lesson_done_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_lesson_done')),
    sa.UniqueConstraint('lesson_id', 'user_id', name=op.f('uq_school_lesson_done_lesson_id_user_id'))
    )
    with op.batch_alter_table('school_lesson_done', schema=None) as batch_op:
        batch_op.create_index('ix_school_lesson_done_course_user', ['course_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_lesson_done_user_id'), ['user_id'], unique=False)

    op.create_table('school_quizzes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('retry_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pass_mark >= 0 AND pass_mark <= 100', name=op.f('ck_school_quizzes_pass_mark_percent')),
    sa.CheckConstraint('retry_minutes >= 0', name=op.f('ck_school_quizzes_retry_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['school_courses.id'], name=op.f('fk_school_quizzes_course_id_school_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['school_lessons.id'], name=op.f('fk_school_quizzes_lesson_id_school_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_quizzes')),
    sa.UniqueConstraint('lesson_id', name=op.f('uq_school_quizzes_lesson_id'))
    )
    with op.batch_alter_table('school_quizzes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_quizzes_course_id'), ['course_id'], unique=False)

    op.create_table('school_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', civic.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_school_attempts_score_percent')),
    sa.ForeignKeyConstraint(['quiz_id'], ['school_quizzes.id'], name=op.f('fk_school_attempts_quiz_id_school_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_school_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_attempts'))
    )
    with op.batch_alter_table('school_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_school_attempts_quiz_user', ['quiz_id', 'user_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_attempts_user_id'), ['user_id'], unique=False)

    op.create_table('school_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.CheckConstraint("kind IN ('single', 'multiple')", name=op.f('ck_school_questions_known_kind')),
    sa.ForeignKeyConstraint(['quiz_id'], ['school_quizzes.id'], name=op.f('fk_school_questions_quiz_id_school_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_questions'))
    )
    with op.batch_alter_table('school_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_questions_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('school_attempt_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('choice_ids', sa.String(length=200), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['school_attempts.id'], name=op.f('fk_school_attempt_answers_attempt_id_school_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['school_questions.id'], name=op.f('fk_school_attempt_answers_question_id_school_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_attempt_answers')),
    sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_school_attempt_answers_attempt_id_question_id'))
    )
    with op.batch_alter_table('school_attempt_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_attempt_answers_question_id'), ['question_id'], unique=False)

    op.create_table('school_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('feedback', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['school_questions.id'], name=op.f('fk_school_choices_question_id_school_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_choices'))
    )
    with op.batch_alter_table('school_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_choices_question_id'), ['question_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('school_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_choices_question_id'))

    op.drop_table('school_choices')
    with op.batch_alter_table('school_attempt_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_attempt_answers_question_id'))

    op.drop_table('school_attempt_answers')
    with op.batch_alter_table('school_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_questions_quiz_id'))

    op.drop_table('school_questions')
    with op.batch_alter_table('school_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_attempts_user_id'))
        batch_op.drop_index('ix_school_attempts_quiz_user')

    op.drop_table('school_attempts')
    with op.batch_alter_table('school_quizzes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_quizzes_course_id'))

    op.drop_table('school_quizzes')
    with op.batch_alter_table('school_lesson_done', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_lesson_done_user_id'))
        batch_op.drop_index('ix_school_lesson_done_course_user')

    op.drop_table('school_lesson_done')
    with op.batch_alter_table('school_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_enrolments_user_id'))
        batch_op.drop_index(batch_op.f('ix_school_enrolments_course_id'))

    op.drop_table('school_enrolments')
    with op.batch_alter_table('school_bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_bookings_user_id'))
        batch_op.drop_index('ix_school_bookings_session_status_seq')
        batch_op.drop_index(batch_op.f('ix_school_bookings_offer_expires_at'))

    op.drop_table('school_bookings')
    with op.batch_alter_table('school_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_sessions_ward_id'))
        batch_op.drop_index(batch_op.f('ix_school_sessions_starts_at'))
        batch_op.drop_index('ix_school_sessions_course_starts')

    op.drop_table('school_sessions')
    with op.batch_alter_table('school_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_lessons_course_id'))

    op.drop_table('school_lessons')
    with op.batch_alter_table('school_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_certificates_user_id'))

    op.drop_table('school_certificates')
    with op.batch_alter_table('school_courses', schema=None) as batch_op:
        batch_op.drop_index('ix_school_courses_state_published')
        batch_op.drop_index(batch_op.f('ix_school_courses_instructor_id'))

    op.drop_table('school_courses')
